using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Dealer2pc;

internal sealed partial class Dealer2pcScheme
{
    /// <summary>Beaver AND with dealer bit triples on whole words; opens x XOR a and y XOR b in one round.</summary>
    public Share And(Share x, Share y)
    {
        int n = x.Length;
        if (IsDealer)
        {
            var s0 = DrawFrom(0, 3 * n);
            var s1 = DrawFrom(1, 2 * n);
            var c1 = new ulong[n];
            for (int i = 0; i < n; i++) c1[i] = ((s0[i] ^ s1[i]) & (s0[n + i] ^ s1[n + i])) ^ s0[2 * n + i];
            Ch.Send(1, c1);
            return Share.Empty(n, 0);
        }
        if (!IsCompute) return Share.Empty(n, 0);
        var s = DrawFrom(Dealer, Me == 0 ? 3 * n : 2 * n);
        var z = Me == 0 ? Part(s, 2, n) : Ch.ReceiveUlongs(Dealer, n);
        var de = new ulong[2 * n];
        RingOps.Xor(x.C[0], s.AsSpan(0, n), de.AsSpan(0, n));
        RingOps.Xor(y.C[0], s.AsSpan(n, n), de.AsSpan(n, n));
        Ch.Send(Other, de);
        var theirs = Ch.ReceiveUlongs(Other, 2 * n);
        Ch.Round();
        RingOps.Xor(de, theirs, de);
        for (int i = 0; i < n; i++)
        {
            ulong d = de[i], e = de[n + i];
            ulong v = z[i] ^ (d & s[n + i]) ^ (e & s[i]);
            if (Me == 0) v ^= d & e;
            z[i] = v;
        }
        return One(z);
    }
}
