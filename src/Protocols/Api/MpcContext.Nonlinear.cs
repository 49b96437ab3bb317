using PrivateInference.Protocols.Core;
using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    /// <summary>Squarings in exp's range reduction: e^x = (e^(x/2^4))^(2^4).</summary>
    public const int ExpSquarings = 4;
    /// <summary>Inputs below this are clamped to it in <see cref="Exp"/> (e^-16 is below 2^-16 anyway).</summary>
    public const double ExpClamp = -16;
    /// <summary>Taylor coefficients 1/j! of e^y, j = 0..8.</summary>
    private static readonly double[] ExpTaylor = Enumerable.Range(0, 9).Select(j => 1.0 / Enumerable.Range(1, j).Aggregate(1.0, (a, b) => a * b)).ToArray();
    /// <summary>SiLU's tail h(t) = t·σ(−t) = relu(x) − silu(x) at t = min(|x|, 8), as a degree-8 polynomial in
    /// v = (t − 4)/8 ∈ [−1/2, 1/2]. Lawson fit on [0, 8] minimizing max |p − h| / min(1, t + 0.05), so the error
    /// is small where silu is small: ≤ 6.3e-4·(t + 0.05) for t &lt; 0.95 and ≤ 6.3e-4 on [0.95, 8]; past 8 the
    /// clamp adds h(8) = 2.7e-3 (max |p(min(t, 8)) − h(t)| over t ≥ 0 is 3.3e-3).</summary>
    private static readonly double[] SiluTail =
    [
        0.07222726622762782, -0.4112533594984083, 1.0019980565982223, -1.5682456665740303, -0.2893009162423331,
        16.12196704473937, -32.30378452514327, -12.862148702782013, 51.6450685236523,
    ];
    /// <summary>|x| beyond which SiLU is taken as relu(x) − p(8).</summary>
    public const double SiluRange = 8;
    public const int ReciprocalIterations = 3;

    private SecretTensor AtFracBits(SecretTensor x) => x.Scale == FracBits ? x : Rescale(x, FracBits);

    private Share PublicConst(int n, double value, int scale) => Constant(n, FixedPointEncoding.Encode(value, scale));

    /// <summary>
    /// Σ_{j=0..8} c_j v^j for |v| ≤ 1 at scale s, in three product levels (four products): v²; v³ and v⁴
    /// together; then v⁴·B(v) with B = c4 + c5 v + … + c8 v⁴ at scale s + t, and A = c0 + … + c3 v³ at the raw
    /// product's scale 2s + t added before that product's truncation (no truncation of its own). The result
    /// is truncated straight to <paramref name="outScale"/>. Needs |A + v⁴B| · 2^(2s+t) &lt; 2^62.
    /// </summary>
    private Share Poly8(Share v, int s, double[] c, int outScale)
    {
        int n = v.Length, t = PolyCoefBits(s);
        var v2 = _scheme.MulTrunc(v, v, s);
        var v34 = _scheme.MulTrunc(Share.Concat(v2, v2), Share.Concat(v, v2), s);
        Share[] pw = [v, v2, v34.Slice(0, n), v34.Slice(n, n)];
        var b = PublicConst(n, c[4], s + t);
        var a = PublicConst(n, c[0], 2 * s + t);
        for (int j = 1; j <= 4; j++) b = b.Add(pw[j - 1].Scale(FixedPointEncoding.Encode(c[4 + j], t)));
        for (int j = 1; j <= 3; j++) a = a.Add(pw[j - 1].Scale(FixedPointEncoding.Encode(c[j], s + t)));
        return _scheme.MulAddTrunc(pw[3], b, a, 2 * s + t - outScale);
    }

    /// <summary>Bits of B's coefficients in <see cref="Poly8"/>: the raw scale 2s + t stays at 60.</summary>
    private static int PolyCoefBits(int s) => Math.Max(8, 60 - 2 * s);

    /// <summary>
    /// e^x for x &lt;= 5 (inputs below -16 are treated as -16). x is clamped by one comparison, read as
    /// y = x / 2^4 at scale f + 4 for free (|y| &lt;= 1), e^y is its degree-8 Taylor polynomial (<see cref="Poly8"/>:
    /// three product levels, remainder &lt;= 2.5e-6), then squared four times; the last squaring truncates to f.
    /// </summary>
    public SecretTensor Exp(SecretTensor x)
    {
        using var scope = Scope("exp");
        x = AtFracBits(x);
        int n = x.Length;
        var shifted = _scheme.AddPublic(x.Data, Fill(n, FixedPointEncoding.Encode(-ExpClamp, FracBits)));
        var below = Msb(shifted);
        // x + [x < -16] * (-16 - x)
        var xc = x.Data.Add(_scheme.MulRaw(below, shifted.Neg()));
        int s = FracBits + ExpSquarings;
        var p = Poly8(xc, s, ExpTaylor, s);
        for (int i = 0; i < ExpSquarings; i++)
            p = _scheme.MulTrunc(p, p, i == ExpSquarings - 1 ? 2 * s - FracBits : s);
        return T(x.Shape, FracBits, p);
    }

    /// <summary>Scale used for 1/x on [2^lo, 2^hi): as fine as the products allow (y (1 + e) must stay below 2^62).</summary>
    private static int ReciprocalScale(int minLog2) => Math.Min(28, (60 + minLog2) / 2);

    /// <summary>
    /// 1/x for x in [2^minLog2, 2^maxLog2). The binade of x comes from one batched comparison against the powers
    /// of two inside the range (no comparisons when the range is one binade); the start y0 = 2/3 * 2^-k puts
    /// e = 1 - x y0 within [-1/3, 1/3]. Then Goldschmidt: 1/x = y0 (1 + e)(1 + e^2)(1 + e^4) / (1 - e^8), each
    /// factor's product batched with the next square of e, so after e itself there are three product levels (the
    /// same e^8 = 1.5e-4 as three Newton steps, which need six). The result carries scale min(28, (60 + minLog2) / 2),
    /// so small reciprocals keep their relative precision.
    /// </summary>
    public SecretTensor Reciprocal(SecretTensor x, int minLog2 = 0, int maxLog2 = 16)
    {
        using var scope = Scope("reciprocal");
        x = AtFracBits(x);
        int sy = ReciprocalScale(minLog2);
        var bits = BinadeBits(x, minLog2, maxLog2);
        var y = BinadeValue(bits, x.Length, minLog2, maxLog2, sy, k => 2.0 / 3 * Math.Pow(2, -k));
        int n = x.Length;
        ulong one = 1UL << sy;
        var e = _scheme.AddPublic(_scheme.MulTrunc(x.Data, y, FracBits).Neg(), Fill(n, one));   // 1 - x y0 at sy
        for (int it = 0; it < ReciprocalIterations; it++)
        {
            var onePlusE = _scheme.AddPublic(e, Fill(n, one));
            if (it == ReciprocalIterations - 1)
            {
                y = _scheme.MulTrunc(y, onePlusE, sy);
                break;
            }
            var both = _scheme.MulTrunc(Share.Concat(y, e), Share.Concat(onePlusE, e), sy);
            y = both.Slice(0, n);
            e = both.Slice(n, n);
        }
        return T(x.Shape, sy, y);
    }

    /// <summary>[x &lt; 2^j] for j = minLog2 + 1 .. maxLog2 - 1 from one batched comparison (null for a one-binade range).</summary>
    private Share? BinadeBits(SecretTensor x, int minLog2, int maxLog2)
    {
        int n = x.Length, count = maxLog2 - minLog2 - 1;
        if (count <= 0) return null;
        var parts = new Share[count];
        for (int j = minLog2 + 1; j < maxLog2; j++)
            parts[j - minLog2 - 1] = _scheme.AddPublic(x.Data, Fill(n, FixedPointEncoding.Encode(-Math.Pow(2, j), FracBits)));
        return Msb(Share.Concat(parts));
    }

    /// <summary>
    /// value(k) for x in binade [2^k, 2^(k+1)), as a local linear combination of the comparison bits
    /// l_j = [x &lt; 2^j]: value(hi-1) - sum_j l_j (value(j) - value(j-1)).
    /// </summary>
    private Share BinadeValue(Share? below, int n, int minLog2, int maxLog2, int scale, Func<int, double> value)
    {
        var acc = PublicConst(n, value(maxLog2 - 1), scale);
        if (below is null) return acc;
        for (int j = minLog2 + 1; j < maxLog2; j++)
        {
            ulong delta = FixedPointEncoding.Encode(value(j) - value(j - 1), scale);
            acc = acc.Sub(below.Slice((j - minLog2 - 1) * n, n).Scale(delta));
        }
        return acc;
    }

    /// <summary>Binomial series of (1 - e)^(-1/2): C(2j, j) / 4^j, j = 0..8.</summary>
    private static readonly double[] RsqrtSeries = Enumerable.Range(0, 9).Select(j =>
    {
        double c = 1;
        for (int i = 1; i <= j; i++) c *= (2.0 * i - 1) / (2.0 * i);
        return c;
    }).ToArray();

    /// <summary>
    /// 1/sqrt(x) for x in [2^minLog2, 2^maxLog2): from the binade bits both y0 = sqrt(2/3) 2^(-k/2) and y0^2 are local
    /// linear combinations, so e = 1 - x y0^2 ∈ [-1/3, 1/3] takes one product; then 1/sqrt(x) = y0 (1 - e)^(-1/2)
    /// with the binomial series to degree 8 (<see cref="Poly8"/>, remainder ≤ 1.4e-5) and one last product by y0.
    /// Result at scale min(24, (59 + minLog2) / 2).
    /// </summary>
    public SecretTensor Rsqrt(SecretTensor x, int minLog2 = -10, int maxLog2 = 14)
    {
        using var scope = Scope("rsqrt");
        x = AtFracBits(x);
        int sy = Math.Min(24, (59 + minLog2) / 2);
        int n = x.Length, s = FracBits + 4;
        // y0^2 at scale sq: x y0^2 ≈ 1 ± 1/3, so the raw product 2^(f + sq) stays below 2^62 at sq = 60 - f.
        int sq = 60 - FracBits - 1;
        var bits = BinadeBits(x, minLog2, maxLog2);
        var y0 = BinadeValue(bits, n, minLog2, maxLog2, sy, k => Math.Sqrt(2.0 / 3) * Math.Pow(2, -k / 2.0));
        var y0Sq = BinadeValue(bits, n, minLog2, maxLog2, sq, k => 2.0 / 3 * Math.Pow(2, -k));
        var e = _scheme.AddPublic(_scheme.MulTrunc(x.Data, y0Sq, FracBits + sq - s).Neg(), Fill(n, 1UL << s));   // 1 - x y0^2 at s
        var p = Poly8(e, s, RsqrtSeries, s);
        return T(x.Shape, sy, _scheme.MulTrunc(y0, p, s));
    }

    /// <summary>
    /// 1 / (1 + e^-x) for any x, via the sign: s = sigmoid(|x|) = 1 / (1 + e^-|x|) with e^-|x| in (0, 1], so the
    /// reciprocal's input lies in [1, 2] (no comparisons), then select s or 1 - s. Result at the reciprocal's scale.
    /// </summary>
    public SecretTensor Sigmoid(SecretTensor x)
    {
        using var scope = Scope("sigmoid");
        x = AtFracBits(x);
        int n = x.Length;
        var pos = OneMinus(T(x.Shape, 0, Msb(x.Data)));                        // [x >= 0]
        var sign = _scheme.AddPublic(pos.Data.Scale(2), Fill(n, ulong.MaxValue)); // 2c - 1
        var abs = _scheme.MulRaw(x.Data, sign);
        var e = Exp(T(x.Shape, FracBits, abs.Neg()));
        var d = _scheme.AddPublic(e.Data, Fill(n, 1UL << FracBits));
        var r = Reciprocal(T(x.Shape, FracBits, d), 0, 1);
        int sr = r.Scale;
        // (1 - r) + c (2r - 1)
        var twoRMinus1 = _scheme.AddPublic(r.Data.Scale(2), Fill(n, 0 - (1UL << sr)));
        var oneMinusR = _scheme.AddPublic(r.Data.Neg(), Fill(n, 1UL << sr));
        return T(x.Shape, sr, oneMinusR.Add(_scheme.MulRaw(pos.Data, twoRMinus1)));
    }

    /// <summary>
    /// SiLU x·σ(x) = relu(x) − h(|x|) with h(t) = t·σ(−t). One batched comparison gives [x &lt; 0], [x &lt; 8] and
    /// [x &lt; −8]; one round of bit × value products gives x·[x &lt; 0] (for relu) and t = min(|x|, 8) (the sign
    /// and the range test combine linearly: t = x·([x&lt;8] + [x&lt;−8] − 2[x&lt;0]) + 8·(1 − [x&lt;8] + [x&lt;−8]));
    /// then h(t) by the degree-8 fit (<see cref="Poly8"/>). |error| ≤ 6.3e-4·(|x| + 0.05) below |x| = 0.95, ≤ 6.3e-4
    /// up to |x| = 8, ≤ 3.3e-3 beyond (plus rounding).
    /// </summary>
    public SecretTensor Silu(SecretTensor x)
    {
        using var scope = Scope("silu");
        x = AtFracBits(x);
        int n = x.Length, f = FracBits;
        ulong r = FixedPointEncoding.Encode(SiluRange, f);
        var bits = Msb(Share.Concat(x.Data, _scheme.AddPublic(x.Data, Fill(n, 0 - r)), _scheme.AddPublic(x.Data, Fill(n, r))));
        var neg = bits.Slice(0, n);
        var belowHi = bits.Slice(n, n);
        var belowLo = bits.Slice(2 * n, n);
        var absSel = belowHi.Add(belowLo).Sub(neg.Scale(2));                       // sign(x)·[|x| < 8]
        var prods = _scheme.MulRaw(Share.Concat(x.Data, x.Data), Share.Concat(absSel, neg));
        var outside = _scheme.AddPublic(belowLo.Sub(belowHi), Fill(n, 1));           // [|x| >= 8]
        var tc = prods.Slice(0, n).Add(outside.Scale(r));                            // min(|x|, 8) at f
        int s = f + 4;
        // v = (t - 4)/8: t - 4 read at scale f + 3, lifted to s.
        var v = _scheme.AddPublic(tc, Fill(n, 0 - FixedPointEncoding.Encode(SiluRange / 2, f))).Scale(1UL << (s - f - 3));
        var h = Poly8(v, s, SiluTail, f);
        var relu = x.Data.Sub(prods.Slice(n, n));
        return T(x.Shape, f, relu.Sub(h));
    }

    /// <summary>
    /// Softmax along the last axis. <paramref name="valid"/> (public, broadcast to x's shape by
    /// <paramref name="validShape"/>) marks positions that take part; the others get probability 0. Max by the
    /// tournament, exp of x - max (&lt;= 0), row sums, one reciprocal per row on [1, n], one product.
    /// </summary>
    public SecretTensor Softmax(SecretTensor x, ReadOnlySpan<bool> valid = default, int[]? validShape = null)
    {
        using var scope = Scope("softmax");
        x = AtFracBits(x);
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        ulong[]? keep = null;
        var xm = x;
        if (!valid.IsEmpty)
        {
            var idx = Shapes.BroadcastIndex(validShape ?? [valid.Length], x.Shape);
            keep = new ulong[x.Length];
            var low = new ulong[x.Length];
            ulong big = FixedPointEncoding.Encode(-(double)(1 << 20), FracBits);
            for (int i = 0; i < idx.Length; i++) { keep[i] = valid[idx[i]] ? 1UL : 0; low[i] = valid[idx[i]] ? 0 : big; }
            xm = T(x.Shape, x.Scale, _scheme.AddPublic(x.Data.MulPublic(keep), low));
        }
        var rowShape = x.Shape[..^1].Concat(new[] { 1 }).ToArray();
        var max = keep is not null && ChunkedMaxPays(keep, n)
            ? Reshape(MaxOfValid(xm, keep, n), rowShape)
            : T(rowShape, x.Scale, MaxQuad(xm));
        int hi = 1;
        while ((1 << hi) <= n) hi++;
        if (keep is null)
        {
            var e = Exp(Sub(xm, max));
            return Mul(e, Reshape(Reciprocal(Sum(e), 0, hi + 1), rowShape));
        }
        // Only the valid entries go through exp and the final product (a causal prefill masks about half of x): they
        // are gathered by their public positions and scattered back, the masked ones as zeros.
        var positions = new List<int>();
        var back = new int[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            back[i] = keep[i] == 1 ? positions.Count : -1;
            if (keep[i] == 1) positions.Add(i);
        }
        int count = positions.Count;
        var ev = Exp(Rearrange(Sub(xm, max), [.. positions], count));
        var sum = Sum(Rearrange(ev, back, x.Shape));
        var r = Reciprocal(sum, 0, hi + 1);
        var pv = Mul(ev, Rearrange(r, positions.Select(i => i / n).ToArray(), count));
        return Rearrange(pv, back, x.Shape);
    }

    private const int MaxChunk = 16;

    /// <summary>Whether <see cref="MaxOfValid"/> compares at most three quarters of the entries a whole-row tournament
    /// would (a causal block: about half; a few masked entries per row: never).</summary>
    private static bool ChunkedMaxPays(ulong[] keep, int n)
    {
        int rows = keep.Length / n;
        long entries = 0, widest = 0;
        for (int r = 0; r < rows; r++)
        {
            int valid = 0;
            for (int j = 0; j < n; j++) valid += (int)keep[r * n + j];
            long chunks = Math.Max(1, (valid + MaxChunk - 1) / MaxChunk);
            entries += chunks * MaxChunk;
            widest = Math.Max(widest, chunks);
        }
        return 4 * (entries + rows * widest) <= 3L * rows * n;
    }

    /// <summary>
    /// Row maxima [rows] of x [rows, n] over the valid entries only, for rows that are largely masked (a causal prefill):
    /// each row's valid entries in chunks of <see cref="MaxChunk"/> (two 4-ary levels), then the chunk maxima of each
    /// row (padded with −2^20, like masked entries). The same number of tournament levels as one tournament over whole
    /// rows, with about half the comparisons under a causal mask. The result is the same maximum.
    /// </summary>
    private SecretTensor MaxOfValid(SecretTensor x, ulong[] keep, int n)
    {
        int rows = x.Length / n;
        var chunks = new int[rows];
        var first = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            var valid = Enumerable.Range(r * n, n).Where(i => keep[i] == 1).ToArray();
            chunks[r] = Math.Max(1, (valid.Length + MaxChunk - 1) / MaxChunk);
            for (int j = 0; j < chunks[r] * MaxChunk; j++) first.Add(j < valid.Length ? valid[j] : -1);
        }
        var chunkMax = Max(RearrangeOrLow(x, [.. first], first.Count / MaxChunk, MaxChunk));
        int width = chunks.Max();
        var second = new int[rows * width];
        for (int r = 0, start = 0; r < rows; start += chunks[r], r++)
            for (int j = 0; j < width; j++) second[r * width + j] = j < chunks[r] ? start + j : -1;
        return Max(RearrangeOrLow(chunkMax, second, rows, width));
    }

    /// <summary><see cref="Rearrange"/> with −2^20 (a masked entry's value, never the maximum) where the index is −1.</summary>
    private SecretTensor RearrangeOrLow(SecretTensor x, int[] indices, int rows, int width)
    {
        var low = indices.Select(i => i < 0 ? -(double)(1 << 20) : 0).ToArray();
        return AddPublic(Rearrange(x, indices, rows, width), low, [rows, width]);
    }
}
