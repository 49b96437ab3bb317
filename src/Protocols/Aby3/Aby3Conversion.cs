using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Aby3;

internal sealed partial class Aby3Scheme
{
    /// <summary>
    /// x = u + v with u = C0 + C1 (known to P0 alone) and v = C2 (known to P1 and P2). v is already a
    /// boolean replicated sharing (C2 = v, the rest 0); u becomes one by P0 sending u XOR rho to P2, rho drawn
    /// with P1. One round, one word from P0.
    /// </summary>
    public (Share U, Share V) SplitForAdder(Share x)
    {
        int n = x.Length;
        if (!IsCompute) return (Share.Empty(n, 0), Share.Empty(n, 0));
        var zero = new ulong[n];
        switch (Me)
        {
            case 0:
            {
                var u = new ulong[n];
                RingOps.Add(x.C[0], x.C[1], u);
                var rho = DrawFrom(1, n);
                RingOps.Xor(u, rho, u);
                Ch.Send(2, u);
                Ch.Round();
                return (new Share(n, [u, rho]), new Share(n, [zero, new ulong[n]]));
            }
            case 1:
            {
                var rho = DrawFrom(0, n);
                Ch.Round();
                return (new Share(n, [rho, zero]), new Share(n, [new ulong[n], x.C[1]]));
            }
            default:
            {
                var m = Ch.ReceiveUlongs(0, n);
                Ch.Round();
                return (new Share(n, [zero, m]), new Share(n, [x.C[0], new ulong[n]]));
            }
        }
    }

    /// <summary>
    /// Bit injection in one round by two three-party OTs (ABY3 section 5.4). b = t XOR b2 with t = b0 XOR b1
    /// known to P0 and b2 known to P1 and P2. P0 draws C0 (with P2) and C1 (with P1) and offers
    /// m_j = (t XOR j) - C0 - C1 for j = 0, 1 to P1 and to P2, each pair masked with keys the receiver lacks;
    /// the other holder of b2 sends the receiver the mask of m_b2. Both recover C2 = b - C0 - C1.
    /// </summary>
    public Share BitToArith(Share bits)
    {
        int n = bits.Length;
        if (!IsCompute) return Share.Empty(n, 0);
        switch (Me)
        {
            case 0:
            {
                var s2 = DrawFrom(2, 3 * n);
                var s1 = DrawFrom(1, 3 * n);
                var toP1 = new ulong[2 * n];
                var toP2 = new ulong[2 * n];
                for (int i = 0; i < n; i++)
                {
                    ulong t = (bits.C[0][i] ^ bits.C[1][i]) & 1;
                    ulong baseVal = 0 - s2[i] - s1[i];
                    ulong m0 = baseVal + t, m1 = baseVal + (1 - t);
                    toP1[i] = m0 + s2[n + i];
                    toP1[n + i] = m1 + s2[2 * n + i];
                    toP2[i] = m0 + s1[n + i];
                    toP2[n + i] = m1 + s1[2 * n + i];
                }
                Ch.Send(1, toP1);
                Ch.Send(2, toP2);
                Ch.Round();
                return new Share(n, [Part(s2, 0, n), Part(s1, 0, n)]);
            }
            case 1:
            {
                var s0 = DrawFrom(0, 3 * n);
                var help = new ulong[n];
                for (int i = 0; i < n; i++) help[i] = s0[(1 + (int)(bits.C[1][i] & 1)) * n + i];
                Ch.Send(2, help);
                var offered = Ch.ReceiveUlongs(0, 2 * n);
                var mask = Ch.ReceiveUlongs(2, n);
                Ch.Round();
                var c2 = new ulong[n];
                for (int i = 0; i < n; i++) c2[i] = offered[(int)(bits.C[1][i] & 1) * n + i] - mask[i];
                return new Share(n, [Part(s0, 0, n), c2]);
            }
            default:
            {
                var s0 = DrawFrom(0, 3 * n);
                var help = new ulong[n];
                for (int i = 0; i < n; i++) help[i] = s0[(1 + (int)(bits.C[0][i] & 1)) * n + i];
                Ch.Send(1, help);
                var offered = Ch.ReceiveUlongs(0, 2 * n);
                var mask = Ch.ReceiveUlongs(1, n);
                Ch.Round();
                var c2 = new ulong[n];
                for (int i = 0; i < n; i++) c2[i] = offered[(int)(bits.C[0][i] & 1) * n + i] - mask[i];
                return new Share(n, [c2, Part(s0, 0, n)]);
            }
        }
    }
}
