using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// [x &lt; 0] on 2-out-of-2 shares in three rounds, with products bit × value fused into the same rounds.
/// Preprocessing (helper): a mask ρ = ρ0 + ρ1 from its keys with P0 and P1, Z_67 shares of ρ's low k bits (k bytes
/// to P1), and a mask m for each factor. Round 1: P0 and P1 open C = x + 2^k + ρ (and E = v − m for the factors).
/// With x in [−2^k, 2^k), x + 2^k lies in [0, 2^(k+1)), so [x &lt; 0] = 1 ⊕ C_k ⊕ ρ_k ⊕ [ρ mod 2^k &gt; C mod 2^k].
/// Round 2: the bitwise comparison (<see cref="BitwiseComparison"/>) with β = flip ⊕ 1 ⊕ C_k for a flip P0 and P1
/// share, so the helper learns w = [x &lt; 0] ⊕ flip, a uniform bit. Round 3: the helper returns shares of w and of
/// w·m (P0's from its key, P1's sent); then [x &lt; 0] = flip + (1 − 2 flip)·w and, since v = E + m,
/// [x &lt; 0]·v = flip·v + (1 − 2 flip)(E·w + w·m), all local.
/// </summary>
internal sealed class MaskedComparison(Channel channel, PairwiseKeys keys) : HelperProtocol(channel, keys)
{
    private readonly BitwiseComparison _bits = new(channel, keys);

    /// <summary>Shares of [x &lt; 0] for x in [−2^k, 2^k) (k = 63: every ring value), and of [x_e &lt; 0]·v[vIndex[e]]
    /// when a factor is given. With <paramref name="drop"/> = L &gt; 0 the bitwise comparison skips the low L bits of
    /// C and ρ: the answer is then exact for |x| ≥ 2^L and may be either for |x| &lt; 2^L (the borrow out of the
    /// skipped bits is the only difference), for k − L bytes per element instead of k. The helper still learns only
    /// w = answer ⊕ flip, so this is a choice of accuracy, not of privacy.</summary>
    public (Share Bits, Share? Products) Sign(Share x, int k, Share? v = null, int[]? vIndex = null, int drop = 0)
    {
        var result = new RoundSteps.Outcome<(Share, Share?)>();
        RoundSteps.Run(Ch, SignSteps(x, k, result, v, vIndex, drop));
        return result.Value;
    }

    /// <summary><see cref="Sign"/> as round steps (<see cref="RoundSteps"/>): the same three rounds, for a lockstep
    /// beside other gates. Its helper side waits on P0's and P1's vectors in the third step.</summary>
    public IEnumerable<int> SignSteps(Share x, int k, RoundSteps.Outcome<(Share Bits, Share? Products)> result, Share? v = null,
        int[]? vIndex = null, int drop = 0)
    {
        if (k is < 1 or > 63) throw new ArgumentOutOfRangeException(nameof(k), "comparison width must be 1..63 bits");
        if (drop < 0 || drop >= k) throw new ArgumentOutOfRangeException(nameof(drop), "the skipped low bits must be fewer than the width");
        int n = x.Length, m = v?.Length ?? 0;
        bool fused = v is not null;
        if (fused && (vIndex is null || vIndex.Length != n)) throw new ArgumentException("one factor index per compared element");
        return IsHelper ? HelperSteps(n, m, k, drop, fused, vIndex, result)
            : IsCompute ? ComputeSteps(x, k, v, vIndex, drop, result)
            : NoSteps(n, fused, result);
    }

    private IEnumerable<int> NoSteps(int n, bool fused, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        result.Value = (None(n), fused ? None(n) : null);
        yield break;
    }

    private IEnumerable<int> ComputeSteps(Share x, int k, Share? v, int[]? vIndex, int drop, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        int n = x.Length, m = v?.Length ?? 0;
        bool fused = v is not null;
        var rho = Draw(Helper, n);
        var rBits = _bits.ReceiveBits(n, k - drop);
        var mask = fused ? Draw(Helper, m) : [];
        var mine = new ulong[n + m];
        ulong offset = Me == 0 ? 1UL << k : 0;
        for (int e = 0; e < n; e++) mine[e] = x.C[0][e] + offset + rho[e];
        for (int j = 0; j < m; j++) mine[n + j] = v!.C[0][j] - mask[j];
        SendOpen(mine);
        yield return 1;
        var open = ReceiveOpen(mine);
        var c = open.AsSpan(0, n).ToArray();
        var flip = new bool[n];
        var fl = new ulong[n];
        using (var common = Common()) common.Fill(fl);
        var beta = new bool[n];
        for (int e = 0; e < n; e++)
        {
            flip[e] = (fl[e] & 1) == 1;
            beta[e] = flip[e] ^ true ^ (((c[e] >> k) & 1) == 1);
        }
        ulong low = BitwiseComparison.LowMask(k);
        var kept = new ulong[n];
        for (int e = 0; e < n; e++) kept[e] = (c[e] & low) >> drop;
        _bits.SendDigits(kept, rBits, k - drop, beta);
        yield return 2;
        yield return 3;                                     // the helper answers

        ulong[] w, wm = [];
        if (Me == 0) { w = Draw(Helper, n); if (fused) wm = Draw(Helper, n); }
        else { w = Ch.ReceiveUlongs(Helper, n); if (fused) wm = Ch.ReceiveUlongs(Helper, n); }
        var bits = new ulong[n];
        var prod = fused ? new ulong[n] : null;
        for (int e = 0; e < n; e++)
        {
            ulong f = flip[e] ? 1UL : 0, sign = 1 - 2 * f;
            bits[e] = (Me == 0 ? f : 0) + sign * w[e];
            if (prod is not null)
            {
                int j = vIndex![e];
                prod[e] = f * v!.C[0][j] + sign * (open[n + j] * w[e] + wm[e]);
            }
        }
        result.Value = (One(bits), prod is null ? null : One(prod));
    }

    private IEnumerable<int> HelperSteps(int n, int m, int k, int drop, bool fused, int[]? vIndex, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        var rho = Draw(0, n);
        var rho1 = Draw(1, n);
        for (int e = 0; e < n; e++) rho[e] += rho1[e];
        ulong low = BitwiseComparison.LowMask(k);
        var kept = new ulong[n];
        for (int e = 0; e < n; e++) kept[e] = (rho[e] & low) >> drop;
        _bits.DealBits(kept, k - drop);
        ulong[] mask = [];
        if (fused)
        {
            mask = Draw(0, m);
            var m1 = Draw(1, m);
            for (int j = 0; j < m; j++) mask[j] += m1[j];
        }
        yield return 1;                                     // P0 and P1 open
        yield return 2;                                     // they send the per-bit vectors
        var z = _bits.ReceiveZeros(n, k - drop);
        var w0 = Draw(0, n);
        var wm0 = fused ? Draw(0, n) : [];
        var w1 = new ulong[n];
        var wm1 = fused ? new ulong[n] : [];
        for (int e = 0; e < n; e++)
        {
            ulong w = (z[e] ? 1UL : 0) ^ ((rho[e] >> k) & 1);
            w1[e] = w - w0[e];
            if (fused) wm1[e] = w * mask[vIndex![e]] - wm0[e];
        }
        Ch.Send(1, w1);
        if (fused) Ch.Send(1, wm1);
        result.Value = (None(n), fused ? None(n) : null);
        yield return 3;
    }
}
