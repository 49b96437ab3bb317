using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Dealer2pc;

internal sealed partial class Dealer2pcScheme
{
    /// <summary>x = x0 + x1, and each summand is already a boolean sharing (owner's word, zero for the other): free.</summary>
    public (Share U, Share V) SplitForAdder(Share x)
    {
        int n = x.Length;
        if (!IsCompute) return (Share.Empty(n, 0), Share.Empty(n, 0));
        var zero = new ulong[n];
        return Me == 0 ? (One(x.C[0]), One(zero)) : (One(zero), One(x.C[0]));
    }

    /// <summary>
    /// With a dealer daBit (r as XOR shares and as additive shares): open c = b XOR r (one bit each way), then
    /// b = c + (1 - 2c) r is linear in the additive shares of r.
    /// </summary>
    public Share BitToArith(Share bits)
    {
        int n = bits.Length;
        if (IsDealer)
        {
            var s0 = DrawFrom(0, 2 * n);
            var s1 = DrawFrom(1, n);
            var ra1 = new ulong[n];
            for (int i = 0; i < n; i++) ra1[i] = ((s0[i] ^ s1[i]) & 1) - s0[n + i];
            Ch.Send(1, ra1);
            return Share.Empty(n, 0);
        }
        if (!IsCompute) return Share.Empty(n, 0);
        var s = DrawFrom(Dealer, Me == 0 ? 2 * n : n);
        var ra = Me == 0 ? Part(s, 1, n) : Ch.ReceiveUlongs(Dealer, n);
        var masked = new ulong[n];
        for (int i = 0; i < n; i++) masked[i] = (bits.C[0][i] ^ s[i]) & 1;
        var packed = new ulong[BitPack.PackedWords(n, 1)];
        BitPack.Pack(masked, 1, packed);
        // Pad bits past the last element carry no value; fill them with noise so every message bit is uniform.
        if (n % 64 != 0) packed[^1] |= Draw(Own, 1)[0] & (ulong.MaxValue << (n % 64));
        Ch.Send(Other, packed);
        var theirs = Ch.ReceiveUlongs(Other, packed.Length);
        Ch.Round();
        RingOps.Xor(packed, theirs, packed);
        BitPack.Unpack(packed, 1, masked);
        var z = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            ulong c = masked[i];
            z[i] = (1 - 2 * c) * ra[i] + (Me == 0 ? c : 0);
        }
        return One(z);
    }
}
