using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Aby3;

internal sealed partial class Aby3Scheme
{
    /// <summary>
    /// Below this many elements a protocol whose roles could rotate over thirds keeps one party in the lead for the
    /// whole batch: balancing saves nothing worth having there, and the split would add messages per round.
    /// </summary>
    internal const int RotateMinElements = 1536;

    /// <summary>
    /// Start of part h (h = 0..3) of n elements: thirds when roles rotate, else the whole batch in part
    /// <paramref name="solo"/> (the original fixed roles).
    /// </summary>
    private static int PartStart(int n, int h, int solo) =>
        n >= RotateMinElements ? (int)((long)n * h / 3) : h <= solo ? 0 : n;

    /// <summary>x = (C0 + C1) + C2: P0 holds both of the first, P1 the last (its second component); P2 keeps nothing.</summary>
    public Share ToPair(Share x)
    {
        int n = x.Length;
        if (Me == 0) { var s = new ulong[n]; RingOps.Add(x.C[0], x.C[1], s); return new Share(n, [s]); }
        if (Me == 1) return new Share(n, [(ulong[])x.C[1].Clone()]);
        return Share.Empty(n, 0);
    }

    /// <summary>
    /// y = y0 + y1 (P0, P1) to replicated shares: C0 comes from the P0–P2 key and C2 from the P1–P2 key; P0 sends
    /// y0 − C0 and P1 sends y1 − C2, each masked by a key the receiver lacks, and both add them up to C1. One round,
    /// one element per element from P0 and from P1.
    /// </summary>
    public Share FromPair(Share y)
    {
        int n = y.Length;
        if (Me == 2)
        {
            var c2 = DrawFrom(1, n);
            var c0 = DrawFrom(0, n);
            Ch.Round();
            return new Share(n, [c2, c0]);
        }
        if (!IsCompute) return Share.Empty(n, 0);
        var mine = DrawFrom(2, n);
        var masked = new ulong[n];
        RingOps.Sub(y.C[0], mine, masked);
        Ch.Send(1 - Me, masked);
        var theirs = Ch.ReceiveUlongs(1 - Me, n);
        Ch.Round();
        RingOps.Add(masked, theirs, masked);
        return Me == 0 ? new Share(n, [mine, masked]) : new Share(n, [masked, mine]);
    }
}
