using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Dealer2pc;

internal sealed partial class Dealer2pcScheme
{
    /// <summary>
    /// Owner outside {P0, P1}: P0's share is drawn from the owner-P0 key, P1 receives x minus it (one message).
    /// Owner P0 or P1: the other party's share comes from the P0-P1 key, no message at all.
    /// </summary>
    public Share Input(int owner, ulong[]? values, int length)
    {
        if (Me == owner && (values is null || values.Length != length))
            throw new ArgumentException("the input owner must supply exactly `length` values");
        if (owner == 0 || owner == 1)
        {
            if (!IsCompute) return Share.Empty(length, 0);
            var other = DrawFrom(1 - Me, length);
            if (Me != owner) return One(other);
            var mine = new ulong[length];
            RingOps.Sub(values!, other, mine);
            return One(mine);
        }
        if (Me == owner)
        {
            var x0 = DrawFrom(0, length);
            var x1 = new ulong[length];
            RingOps.Sub(values!, x0, x1);
            Ch.Send(1, x1);
            Ch.Round();
            return Share.Empty(length, Components);
        }
        if (Me == 0) { var s = DrawFrom(owner, length); Ch.Round(); return One(s); }
        if (Me == 1) { var s = Ch.ReceiveUlongs(owner, length); Ch.Round(); return One(s); }
        return Share.Empty(length, 0);
    }

    /// <summary>
    /// Opens x to a compute party, the client or the owner. Never to the dealer: it holds the masks of every triple it
    /// dealt, so handing it both shares of data would undo the scheme's privacy; every party refuses alike, before any
    /// message, so the refusal cannot desynchronise the session.
    /// </summary>
    public ulong[]? Reveal(Share x, int toParty)
    {
        if (toParty == Dealer)
            throw new InvalidOperationException("in 2pc no value is ever opened to the dealer (party 2): it must never receive a share of data");
        int n = x.Length;
        if (toParty == 0 || toParty == 1)
        {
            if (!IsCompute) return null;
            if (Me != toParty) { Ch.Send(toParty, x.C[0]); Ch.Round(); return null; }
            var r = Ch.ReceiveUlongs(Other, n);
            RingOps.Add(r, x.C[0], r);
            Ch.Round();
            return r;
        }
        if (IsCompute) { Ch.Send(toParty, x.C[0]); Ch.Round(); return null; }
        if (Me != toParty) return null;
        var sum = Ch.ReceiveUlongs(0, n);
        RingOps.Add(sum, Ch.ReceiveUlongs(1, n), sum);
        Ch.Round();
        return sum;
    }

    public Share AddPublic(Share x, ulong[] c) => Me == 0 ? x.Map((a, d) => RingOps.Add(a, c, d)) : x;

    public Share XorPublic(Share x, ulong[] c) => Me == 0 ? x.Map((a, d) => RingOps.Xor(a, c, d)) : x;
}
