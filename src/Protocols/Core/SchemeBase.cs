using PrivateInference.Kernels.Backends;
using PrivateInference.Kernels.Random;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Core;

internal abstract class SchemeBase : IDisposable
{
    protected SchemeBase(Channel channel, PairwiseKeys keys)
    {
        Ch = channel;
        Keys = keys;
        Me = channel.PartyId;
        Own = AesCtrPrg.CreateRandom();
    }

    /// <summary>Where the heavy local share arithmetic runs (the process-wide <c>--device</c> selection).</summary>
    protected static IRingBackend Ring => RingBackends.Current;

    protected Channel Ch { get; }
    protected PairwiseKeys Keys { get; }
    protected int Me { get; }
    /// <summary>This party's private randomness (never shared with anyone).</summary>
    protected AesCtrPrg Own { get; }

    protected static ulong[] Draw(AesCtrPrg s, int n)
    {
        var r = new ulong[n];
        s.Fill(r);
        return r;
    }

    protected ulong[] DrawFrom(int peer, int n)
    {
        using var s = Keys.Stream(peer);
        return Draw(s, n);
    }

    protected static ulong[] Cat(params ulong[][] parts)
    {
        var r = new ulong[parts.Sum(p => p.Length)];
        int o = 0;
        foreach (var p in parts) { p.CopyTo(r, o); o += p.Length; }
        return r;
    }

    protected static ulong[] Part(ulong[] src, int index, int n) => src.AsSpan(index * n, n).ToArray();

    /// <summary>
    /// The opened-value half of exact truncation (both schemes). Given c = z + 2^62 + r public to P0 and P1 and
    /// additive shares (a, b) of r's top bit and of (r mod 2^63) >> d, returns this party's additive share of
    /// floor(z / 2^d) - e, e in {0, 1}; exact for |z| &lt; 2^62. Derivation in docs/protocols.md.
    /// </summary>
    protected static ulong[] TruncShare(ulong[] c, ulong[] a, ulong[] b, int d, bool addPublic)
    {
        int n = c.Length;
        var y = new ulong[n];
        ulong top = 1UL << (63 - d);
        ulong offset = 1UL << (62 - d);
        const ulong low63 = (1UL << 63) - 1;
        unchecked
        {
            for (int i = 0; i < n; i++)
            {
                ulong cm = c[i] >> 63;
                ulong coef = cm == 0 ? top : 0 - top;
                ulong v = coef * a[i] - b[i];
                if (addPublic) v += ((c[i] & low63) >> d) + cm * top - offset;
                y[i] = v;
            }
        }
        return y;
    }

    /// <summary>Dealer side of the truncation material for a mask r: (top bit, (r mod 2^63) >> d).</summary>
    protected static (ulong[] Msb, ulong[] LowShifted) TruncMaterial(ulong[] r, int d)
    {
        var msb = new ulong[r.Length];
        var low = new ulong[r.Length];
        for (int i = 0; i < r.Length; i++) { msb[i] = r[i] >> 63; low[i] = (r[i] & ((1UL << 63) - 1)) >> d; }
        return (msb, low);
    }

    public void Dispose() => Own.Dispose();
}
