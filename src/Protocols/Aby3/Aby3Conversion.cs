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

    /// <summary>
    /// x = u + v with u = C_h + C_h+1 (known to P_h alone) and v = C_h+2 (known to P_h+1 and P_h+2), where part h of
    /// the elements (thirds, from 1536 elements on; below that part 0 is everything) uses P_h in the lead role, so the traffic is balanced. v is already a boolean replicated
    /// sharing (C_h+2 = v, the rest 0); u becomes one by P_h sending u XOR rho to P_h+2, rho drawn with P_h+1. One
    /// round; each party sends one word per element of its own part.
    /// </summary>
    public (Share U, Share V) SplitForAdder(Share x)
    {
        int n = x.Length;
        if (!IsCompute) return (Share.Empty(n, 0), Share.Empty(n, 0));
        ulong[] u0 = new ulong[n], u1 = new ulong[n], v0 = new ulong[n], v1 = new ulong[n];
        var send = new List<ulong[]>[3];
        var expect = new int[3];
        for (int q = 0; q < 3; q++) send[q] = [];
        for (int h = 0; h < 3; h++)
        {
            int o = PartStart(n, h, 0), len = PartStart(n, h + 1, 0) - o;
            if (len == 0) continue;
            int role = (Me - h + 3) % 3;
            if (role == 0)
            {
                var u = new ulong[len];
                RingOps.Add(x.C[0].AsSpan(o, len), x.C[1].AsSpan(o, len), u);
                var rho = DrawFrom((h + 1) % 3, len);
                RingOps.Xor(u, rho, u);
                send[(h + 2) % 3].Add(u);
                u.CopyTo(u0, o);
                rho.CopyTo(u1, o);
            }
            else if (role == 1)
            {
                DrawFrom(h, len).CopyTo(u0, o);
                x.C[1].AsSpan(o, len).CopyTo(v1.AsSpan(o));
            }
            else
            {
                expect[h] += len;
                x.C[0].AsSpan(o, len).CopyTo(v0.AsSpan(o));
            }
        }
        var got = Exchange(send, expect);
        Ch.Round();
        var pos = new int[3];
        for (int h = 0; h < 3; h++)
        {
            int o = PartStart(n, h, 0), len = PartStart(n, h + 1, 0) - o;
            if (len == 0 || (Me - h + 3) % 3 != 2) continue;
            got[h].AsSpan(pos[h], len).CopyTo(u1.AsSpan(o));
            pos[h] += len;
        }
        return (new Share(n, [u0, u1]), new Share(n, [v0, v1]));
    }

    /// <summary>
    /// Bit injection in one round by two three-party OTs (ABY3 section 5.4), roles rotating over thirds as in
    /// <see cref="SplitForAdder"/>. In part h, b = t XOR b_h+2 with t = b_h XOR b_h+1 known to P_h and b_h+2 known to
    /// P_h+1 and P_h+2. P_h draws C_h (with P_h+2) and C_h+1 (with P_h+1) and offers m_j = (t XOR j) - C_h - C_h+1
    /// for j = 0, 1 to both others, each pair masked with keys the receiver lacks; the other holder of b_h+2 sends
    /// the receiver the mask of m_b. Both recover C_h+2 = b - C_h - C_h+1.
    /// </summary>
    public Share BitToArith(Share bits)
    {
        int n = bits.Length;
        if (!IsCompute) return Share.Empty(n, 0);
        ulong[] out0 = new ulong[n], out1 = new ulong[n];
        var send = new List<ulong[]>[3];
        var expect = new int[3];
        for (int q = 0; q < 3; q++) send[q] = [];
        var s0 = new ulong[3][];
        for (int h = 0; h < 3; h++)
        {
            int o = PartStart(n, h, 0), len = PartStart(n, h + 1, 0) - o;
            if (len == 0) continue;
            int role = (Me - h + 3) % 3, p1 = (h + 1) % 3, p2 = (h + 2) % 3;
            if (role == 0)
            {
                var s2 = DrawFrom(p2, 3 * len);
                var s1 = DrawFrom(p1, 3 * len);
                var toP1 = new ulong[2 * len];
                var toP2 = new ulong[2 * len];
                for (int i = 0; i < len; i++)
                {
                    ulong t = (bits.C[0][o + i] ^ bits.C[1][o + i]) & 1;
                    ulong baseVal = 0 - s2[i] - s1[i];
                    ulong m0 = baseVal + t, m1 = baseVal + (1 - t);
                    toP1[i] = m0 + s2[len + i];
                    toP1[len + i] = m1 + s2[2 * len + i];
                    toP2[i] = m0 + s1[len + i];
                    toP2[len + i] = m1 + s1[2 * len + i];
                }
                send[p1].Add(toP1);
                send[p2].Add(toP2);
                s2.AsSpan(0, len).CopyTo(out0.AsSpan(o));
                s1.AsSpan(0, len).CopyTo(out1.AsSpan(o));
            }
            else
            {
                // The receiver's copy of b_h+2 is its second component as P_h+1, its first as P_h+2.
                var b = role == 1 ? bits.C[1] : bits.C[0];
                s0[h] = DrawFrom(h, 3 * len);
                var help = new ulong[len];
                for (int i = 0; i < len; i++) help[i] = s0[h][(1 + (int)(b[o + i] & 1)) * len + i];
                send[role == 1 ? p2 : p1].Add(help);
                expect[h] += 2 * len;
                expect[role == 1 ? p2 : p1] += len;
            }
        }
        var got = Exchange(send, expect);
        Ch.Round();
        var pos = new int[3];
        for (int h = 0; h < 3; h++)
        {
            int o = PartStart(n, h, 0), len = PartStart(n, h + 1, 0) - o;
            if (len == 0) continue;
            int role = (Me - h + 3) % 3, p1 = (h + 1) % 3, p2 = (h + 2) % 3;
            if (role == 0) continue;
            var b = role == 1 ? bits.C[1] : bits.C[0];
            int other = role == 1 ? p2 : p1;
            var c2 = new ulong[len];
            for (int i = 0; i < len; i++)
                c2[i] = got[h][pos[h] + (int)(b[o + i] & 1) * len + i] - got[other][pos[other] + i];
            pos[h] += 2 * len;
            pos[other] += len;
            if (role == 1)
            {
                s0[h].AsSpan(0, len).CopyTo(out0.AsSpan(o));
                c2.CopyTo(out1, o);
            }
            else
            {
                c2.CopyTo(out0, o);
                s0[h].AsSpan(0, len).CopyTo(out1.AsSpan(o));
            }
        }
        return new Share(n, [out0, out1]);
    }
}
