using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// [x &lt; 0] on 2-out-of-2 shares in three rounds. Preprocessing (helper): a mask ρ = ρ0 + ρ1 from its keys with P0
/// and P1 and Z_p shares of ρ's low k bits (k packed elements to P1). Round 1: P0 and P1 open C = x + 2^k + ρ, sent
/// modulo 2^(k+1) (<see cref="NarrowWords"/>: only bits 0..k are used).
/// With x in [−2^k, 2^k), x + 2^k lies in [0, 2^(k+1)), so [x &lt; 0] = 1 ⊕ C_k ⊕ ρ_k ⊕ [ρ mod 2^k &gt; C mod 2^k].
/// Round 2: the bitwise comparison (<see cref="BitwiseComparison"/>) with β = flip ⊕ 1 ⊕ C_k for a flip P0 and P1
/// share, so the helper learns w = [x &lt; 0] ⊕ flip, a uniform bit. Round 3: the helper returns shares of w (P0's
/// from its key, P1's sent); then [x &lt; 0] = flip + (1 − 2 flip)·w, local. With products by a factor v fused into
/// the same rounds, see <see cref="SignOfShifted"/>: E = v − m opened in round 1, shares of w·m returned in round 3,
/// and [x &lt; 0]·v = flip·v + (1 − 2 flip)(E·w + w·m), local.
/// </summary>
internal sealed class MaskedComparison(Channel channel, PairwiseKeys keys) : HelperProtocol(channel, keys)
{
    private readonly BitwiseComparison _bits = new(channel, keys);

    /// <summary>Shares of [x &lt; 0] for x in [−2^k, 2^k) (k = 63: every ring value). With <paramref name="drop"/> = L &gt; 0
    /// the bitwise comparison skips the low L bits of C and ρ: the answer is then exact for |x| ≥ 2^L and may be either
    /// for |x| &lt; 2^L (the borrow out of the skipped bits is the only difference), for k − L bytes per element instead
    /// of k. The helper still learns only w = answer ⊕ flip, so this is a choice of accuracy, not of privacy.</summary>
    /// <param name="drops">Per consecutive segment of x, its length and its skipped low bits (lengths summing to x's),
    /// for a batch whose tests need different resolutions; <paramref name="drop"/> for all of x when null.</param>
    public Share Sign(Share x, int k, int drop = 0, (int Length, int Drop)[]? drops = null)
    {
        int n = x.Length;
        var segments = drops ?? [(n, drop)];
        CheckSegments(segments, n, k);
        var result = new RoundSteps.Outcome<(Share Bits, Share? Products)>();
        RoundSteps.Run(Ch, IsHelper ? HelperSteps(n, k, segments, result) : IsCompute ? ComputeSteps(x, k, segments, result) : NoSteps(n, false, result));
        return result.Value.Bits;
    }

    private static void CheckSegments((int Length, int Drop)[] segments, int n, int k)
    {
        if (k is < 1 or > 63) throw new ArgumentOutOfRangeException(nameof(k), "comparison width must be 1..63 bits");
        int covered = 0;
        foreach (var (length, d) in segments)
        {
            if (d < 0 || d >= k) throw new ArgumentOutOfRangeException(nameof(segments), "the skipped low bits must be fewer than the width");
            if (length < 0) throw new ArgumentOutOfRangeException(nameof(segments), "a segment's length cannot be negative");
            covered += length;
        }
        if (covered != n) throw new ArgumentException($"the segments cover {covered} elements, not {n}", nameof(segments));
    }

    /// <summary>
    /// Shares of [v_j + s_e &lt; 0] and of v_j·[v_j + s_e &lt; 0] for every compared element e, j = <paramref name="vIndex"/>[e]
    /// and s_e = <paramref name="shifts"/>[e] public (SiLU's tests of x, x − 8 and x + 8, each with its product by x):
    /// <see cref="Sign"/> of x_e = v_j + s_e with v as the factor, except that each compared element's mask is its
    /// factor's, ρ_e = −m_j, so C_e = E_j + s_e + 2^k follows from the factor's opening E_j = v_j − m_j and the compared
    /// values open nothing of their own: ⌈(k + 1)/8⌉ bytes fewer per compared element at P0 and P1, in the same three
    /// rounds. The tests of one factor then share its mask's bits; each still has its own flip, multipliers and shift,
    /// so the helper learns only uniform bits w_e = answer ⊕ flip, as before.
    /// </summary>
    /// <param name="drops">Per consecutive segment of the compared elements, its length and skipped low bits (as
    /// <see cref="Sign"/>'s).</param>
    /// <param name="answerRings">Per segment, the ring its bit and product shares are wanted in (null: 64 for all):
    /// the helper sends them in ⌈w/8⌉ bytes each.</param>
    public (Share Bits, Share Products) SignOfShifted(Share v, int k, int[] vIndex, ulong[] shifts, (int Length, int Drop)[] drops, int[]? answerRings = null)
    {
        int n = vIndex.Length;
        if (shifts.Length != n) throw new ArgumentException("one shift per compared element");
        CheckSegments(drops, n, k);
        var rings = answerRings ?? [.. drops.Select(_ => 64)];
        if (rings.Length != drops.Length || rings.Any(r => r is < 1 or > 64)) throw new ArgumentException("one ring of 1..64 bits per segment", nameof(answerRings));
        var result = new RoundSteps.Outcome<(Share, Share?)>();
        RoundSteps.Run(Ch, IsHelper ? ShiftedHelperSteps(v.Length, k, vIndex, drops, rings, result)
            : IsCompute ? ShiftedComputeSteps(v, k, vIndex, shifts, drops, rings, result)
            : NoSteps(n, true, result));
        return (result.Value.Item1, result.Value.Item2!);
    }

    private IEnumerable<int> ShiftedComputeSteps(Share v, int k, int[] vIndex, ulong[] shifts, (int Length, int Drop)[] segments, int[] rings,
        RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        int n = vIndex.Length, m = v.Length;
        var mask = Draw(Helper, m);
        var rBits = ReceiveBitsOf(segments, k);
        var mine = new ulong[m];
        for (int j = 0; j < m; j++) mine[j] = v.C[0][j] - mask[j];
        SendOpen(mine);
        yield return 1;
        var e = ReceiveOpen(mine);
        var c = new ulong[n];
        for (int i = 0; i < n; i++) c[i] = e[vIndex[i]] + shifts[i] + (1UL << k);    // x_i + 2^k + ρ_i with ρ_i = −m_j
        var flip = SendDigitsOf(c, rBits, k, segments);
        yield return 2;
        yield return 3;                                     // the helper answers
        ulong[] w, wm;
        if (Me == 0) { w = Draw(Helper, n); wm = Draw(Helper, n); }
        else { w = ReceiveBySegment(segments, rings); wm = ReceiveBySegment(segments, rings); }
        var bits = new ulong[n];
        var prod = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            ulong f = flip[i] ? 1UL : 0, sign = 1 - 2 * f;
            int j = vIndex[i];
            bits[i] = (Me == 0 ? f : 0) + sign * w[i];
            prod[i] = f * v.C[0][j] + sign * (e[j] * w[i] + wm[i]);
        }
        result.Value = (One(bits), One(prod));
    }

    private IEnumerable<int> ShiftedHelperSteps(int m, int k, int[] vIndex, (int Length, int Drop)[] segments, int[] rings,
        RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        int n = vIndex.Length;
        var mask = Draw(0, m);
        var m1 = Draw(1, m);
        for (int j = 0; j < m; j++) mask[j] += m1[j];
        var rho = new ulong[n];
        for (int i = 0; i < n; i++) rho[i] = 0 - mask[vIndex[i]];
        DealBitsOf(rho, k, segments);
        yield return 1;                                     // P0 and P1 open E
        yield return 2;                                     // they send the per-bit vectors
        var z = ReceiveZerosOf(segments, n, k);
        var w0 = Draw(0, n);
        var wm0 = Draw(0, n);
        var w1 = new ulong[n];
        var wm1 = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            ulong w = Answer(z[i], rho[i], k);
            w1[i] = w - w0[i];
            wm1[i] = w * mask[vIndex[i]] - wm0[i];
        }
        SendBySegment(w1, segments, rings);
        SendBySegment(wm1, segments, rings);
        result.Value = (None(n), None(n));
        yield return 3;
    }

    /// <summary>Helper: words sent segment by segment, each in its segment's ring.</summary>
    private void SendBySegment(ulong[] words, (int Length, int Drop)[] segments, int[] rings)
    {
        int at = 0;
        for (int s = 0; s < segments.Length; at += segments[s].Length, s++)
            SendWords(1, words.AsSpan(at, segments[s].Length).ToArray(), rings[s]);
    }

    /// <summary>P1: the words of <see cref="SendBySegment"/>, right modulo each segment's ring.</summary>
    private ulong[] ReceiveBySegment((int Length, int Drop)[] segments, int[] rings)
    {
        var words = new ulong[segments.Sum(s => s.Length)];
        int at = 0;
        for (int s = 0; s < segments.Length; at += segments[s].Length, s++)
            ReceiveWords(Helper, segments[s].Length, rings[s]).CopyTo(words, at);
        return words;
    }

    /// <summary>
    /// [y &lt; 0] for y = z + <paramref name="offset"/> (public), z an operand that a <see cref="TruncatedProducts"/>
    /// round of the same lockstep opens (<paramref name="opening"/>; that gate must run before this one in the lockstep):
    /// its opening z + r serves as C = y + 2^k + ρ with ρ = r, so the comparison opens nothing itself. Rounds 2 and 3 as
    /// <see cref="Sign"/>: the per-bit vectors, then the helper's shares of w. The helper deals the bit shares of
    /// r in the second step (preprocessing), after the products' material of that step. y must lie in [−2^k, 2^k); the skipped low
    /// bits as in <see cref="Sign"/>. Its view: the same opening the products already gave P0 and P1, and for the helper
    /// the same uniform w and per-bit vectors as any comparison.
    /// </summary>
    public IEnumerable<int> SignStepsOnOpened(SharedOpening opening, int n, ulong offset, int k, RoundSteps.Outcome<(Share Bits, Share? Products)> result,
        int drop = 0)
    {
        if (k is < 1 or > 63) throw new ArgumentOutOfRangeException(nameof(k), "comparison width must be 1..63 bits");
        if (drop < 0 || drop >= k) throw new ArgumentOutOfRangeException(nameof(drop), "the skipped low bits must be fewer than the width");
        return IsHelper ? HelperOnOpened(opening, n, k, drop, result)
            : IsCompute ? ComputeOnOpened(opening, n, offset, k, drop, result)
            : NoSteps(n, false, result);
    }

    private IEnumerable<int> ComputeOnOpened(SharedOpening opening, int n, ulong offset, int k, int drop, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        yield return 1;                                     // the products open z + r
        var masked = opening.Masked ?? throw new InvalidOperationException("the products' round has not opened the shared operand");
        if (opening.Width < k + 1) throw new InvalidOperationException($"a sign test of {k} bits needs an opening of {k + 1} bits at least, not {opening.Width}");
        var rBits = _bits.ReceiveBits(n, k - drop);
        var c = new ulong[n];
        for (int e = 0; e < n; e++) c[e] = masked[e] + offset + (1UL << k);
        var flip = SendDigitsOf(c, rBits, k, drop);
        yield return 2;
        yield return 3;                                     // the helper answers
        var w = Me == 0 ? Draw(Helper, n) : Ch.ReceiveUlongs(Helper, n);
        var bits = new ulong[n];
        for (int e = 0; e < n; e++)
        {
            ulong f = flip[e] ? 1UL : 0;
            bits[e] = (Me == 0 ? f : 0) + (1 - 2 * f) * w[e];
        }
        result.Value = (One(bits), null);
    }

    private IEnumerable<int> HelperOnOpened(SharedOpening opening, int n, int k, int drop, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        yield return 1;                                     // the products' round: P0 and P1 open z + r
        // The bit shares go out in the second step, after the products' next material in this lockstep, which is the
        // order P1 reads them in.
        var rho = opening.Mask ?? throw new InvalidOperationException("the products' round has not drawn the shared operand's mask");
        DealBitsOf(rho, k, drop);
        yield return 2;                                     // P0 and P1 send the per-bit vectors
        var z = _bits.ReceiveZeros(n, k - drop);
        var w0 = Draw(0, n);
        var w1 = new ulong[n];
        for (int e = 0; e < n; e++) w1[e] = Answer(z[e], rho[e], k) - w0[e];
        Ch.Send(1, w1);
        result.Value = (None(n), null);
        yield return 3;
    }

    /// <summary>P0 and P1, round 2: their common flips, β = flip ⊕ 1 ⊕ C_k, and the per-bit vectors of C's kept bits
    /// sent to the helper; returns the flips.</summary>
    private bool[] SendDigitsOf(ulong[] c, byte[] rBits, int k, int drop) => SendDigitsOf(c, [rBits], k, [(c.Length, drop)]);

    /// <summary><see cref="SendDigitsOf(ulong[], byte[], int, int)"/> segment by segment, one flip per element drawn for
    /// all.</summary>
    private bool[] SendDigitsOf(ulong[] c, byte[][] rBits, int k, (int Length, int Drop)[] segments)
    {
        int n = c.Length;
        var flip = new bool[n];
        var fl = new ulong[n];
        using (var common = Common()) common.Fill(fl);
        var beta = new bool[n];
        for (int e = 0; e < n; e++)
        {
            flip[e] = (fl[e] & 1) == 1;
            beta[e] = flip[e] ^ true ^ (((c[e] >> k) & 1) == 1);
        }
        int at = 0;
        for (int s = 0; s < segments.Length; s++)
        {
            var (length, drop) = segments[s];
            _bits.SendDigits(Kept(c.AsSpan(at, length), k, drop), rBits[s], k - drop, beta.AsSpan(at, length));
            at += length;
        }
        return flip;
    }

    /// <summary>Helper: deals the bit shares of its masks' kept bits.</summary>
    private void DealBitsOf(ulong[] rho, int k, int drop) => _bits.DealBits(Kept(rho, k, drop), k - drop);

    /// <summary>P0 and P1: their bit shares, segment by segment (the order the helper deals them in).</summary>
    private byte[][] ReceiveBitsOf((int Length, int Drop)[] segments, int k)
    {
        var bits = new byte[segments.Length][];
        for (int s = 0; s < segments.Length; s++) bits[s] = _bits.ReceiveBits(segments[s].Length, k - segments[s].Drop);
        return bits;
    }

    /// <summary>Helper: deals the bit shares of every segment's kept bits.</summary>
    private void DealBitsOf(ulong[] rho, int k, (int Length, int Drop)[] segments)
    {
        int at = 0;
        foreach (var (length, drop) in segments)
        {
            _bits.DealBits(Kept(rho.AsSpan(at, length), k, drop), k - drop);
            at += length;
        }
    }

    /// <summary>Helper: whether each element's per-bit vectors held a zero, segment by segment.</summary>
    private bool[] ReceiveZerosOf((int Length, int Drop)[] segments, int n, int k)
    {
        var z = new bool[n];
        int at = 0;
        foreach (var (length, drop) in segments)
        {
            _bits.ReceiveZeros(length, k - drop).CopyTo(z, at);
            at += length;
        }
        return z;
    }

    /// <summary>Bits drop..k−1 of every value, the part the bitwise comparison compares.</summary>
    private static ulong[] Kept(ReadOnlySpan<ulong> values, int k, int drop)
    {
        ulong low = BitwiseComparison.LowMask(k);
        var kept = new ulong[values.Length];
        for (int e = 0; e < values.Length; e++) kept[e] = (values[e] & low) >> drop;
        return kept;
    }

    /// <summary>Helper: w = [x &lt; 0] ⊕ flip from whether the per-bit vectors held a zero and the mask's bit k.</summary>
    private static ulong Answer(bool zero, ulong rho, int k) => (zero ? 1UL : 0) ^ ((rho >> k) & 1);

    private IEnumerable<int> NoSteps(int n, bool fused, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        result.Value = (None(n), fused ? None(n) : null);
        yield break;
    }

    private IEnumerable<int> ComputeSteps(Share x, int k, (int Length, int Drop)[] segments, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        int n = x.Length;
        var rho = Draw(Helper, n);
        var rBits = ReceiveBitsOf(segments, k);
        var mine = new ulong[n];
        ulong offset = Me == 0 ? 1UL << k : 0;
        for (int e = 0; e < n; e++) mine[e] = x.C[0][e] + offset + rho[e];
        // C is needed only modulo 2^(k+1) (its bits 0..k).
        (int, int)[] widths = [(n, k + 1)];
        SendOpen(mine, widths);
        yield return 1;
        var open = ReceiveOpen(mine, widths);
        var flip = SendDigitsOf(open, rBits, k, segments);
        yield return 2;
        yield return 3;                                     // the helper answers
        var w = Me == 0 ? Draw(Helper, n) : Ch.ReceiveUlongs(Helper, n);
        var bits = new ulong[n];
        for (int e = 0; e < n; e++)
        {
            ulong f = flip[e] ? 1UL : 0;
            bits[e] = (Me == 0 ? f : 0) + (1 - 2 * f) * w[e];
        }
        result.Value = (One(bits), null);
    }

    private IEnumerable<int> HelperSteps(int n, int k, (int Length, int Drop)[] segments, RoundSteps.Outcome<(Share Bits, Share? Products)> result)
    {
        var rho = Draw(0, n);
        var rho1 = Draw(1, n);
        for (int e = 0; e < n; e++) rho[e] += rho1[e];
        DealBitsOf(rho, k, segments);
        yield return 1;                                     // P0 and P1 open
        yield return 2;                                     // they send the per-bit vectors
        var z = ReceiveZerosOf(segments, n, k);
        var w0 = Draw(0, n);
        var w1 = new ulong[n];
        for (int e = 0; e < n; e++) w1[e] = Answer(z[e], rho[e], k) - w0[e];
        Ch.Send(1, w1);
        result.Value = (None(n), null);
        yield return 3;
    }
}
