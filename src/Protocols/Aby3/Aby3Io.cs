using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Aby3;

internal sealed partial class Aby3Scheme
{
    /// <summary>The owner splits x = C0 + C1 + C2 with private randomness and sends P_i its pair (C_i, C_i+1).</summary>
    public Share Input(int owner, ulong[]? values, int length)
    {
        Share result = Share.Empty(length, Components);
        if (Me == owner)
        {
            if (values is null || values.Length != length) throw new ArgumentException("the input owner must supply exactly `length` values");
            var c = new ulong[3][];
            c[0] = Draw(Own, length);
            c[1] = Draw(Own, length);
            c[2] = new ulong[length];
            RingOps.Sub(values, c[0], c[2]);
            RingOps.Sub(c[2], c[1], c[2]);
            for (int p = 0; p < 3; p++)
            {
                if (p == Me) { result = new Share(length, [c[p], c[(p + 1) % 3]]); continue; }
                Ch.Send(p, Cat(c[p], c[(p + 1) % 3]));
            }
            Ch.Round();
        }
        else if (IsCompute)
        {
            var both = Ch.ReceiveUlongs(owner, 2 * length);
            result = new Share(length, [Part(both, 0, length), Part(both, 1, length)]);
            Ch.Round();
        }
        return result;
    }

    /// <summary>Only <paramref name="toParty"/> learns x: an outside party gets C_i from each P_i; a compute party the one component it lacks.</summary>
    public ulong[]? Reveal(Share x, int toParty)
    {
        int n = x.Length;
        if (toParty >= 3)
        {
            if (IsCompute) { Ch.Send(toParty, x.C[0]); Ch.Round(); return null; }
            if (Me != toParty) return null;
            var sum = new ulong[n];
            for (int p = 0; p < 3; p++) RingOps.Add(sum, Ch.ReceiveUlongs(p, n), sum);
            Ch.Round();
            return sum;
        }
        if (!IsCompute) return null;
        ulong[]? r = null;
        if (Me == (toParty + 1) % 3) Ch.Send(toParty, x.C[1]);
        if (Me == toParty)
        {
            r = Ch.ReceiveUlongs((toParty + 1) % 3, n);
            RingOps.Add(r, x.C[0], r);
            RingOps.Add(r, x.C[1], r);
        }
        Ch.Round();
        return r;
    }

    /// <summary>A public constant is component C0's: P0 adds it to its first, P2 to its second component.</summary>
    public Share AddPublic(Share x, ulong[] c) => WithConstant(x, c, (a, b, d) => RingOps.Add(a, b, d));

    public Share XorPublic(Share x, ulong[] c) => WithConstant(x, c, (a, b, d) => RingOps.Xor(a, b, d));

    private Share WithConstant(Share x, ulong[] c, Action<ulong[], ulong[], ulong[]> op)
    {
        if (!IsCompute) return x;
        int slot = Me == 0 ? 0 : Me == 2 ? 1 : -1;
        var comps = new ulong[2][];
        for (int i = 0; i < 2; i++)
        {
            if (i == slot) { comps[i] = new ulong[x.Length]; op(x.C[i], c, comps[i]); }
            else comps[i] = x.C[i];
        }
        return new Share(x.Length, comps);
    }
}
