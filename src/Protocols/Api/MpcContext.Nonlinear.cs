using PrivateInference.Protocols.Circuits;
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


    // Every nonlinear function runs on the 2-out-of-2 form (P0, P1 with P2 as helper; see Pair.cs): its comparisons
    // are the three-round helper gates, its products Beaver products with P2 dealing. A public entry point converts
    // once on the way in (local) and once on the way out (3pc: one round).

    private SecretTensor AtFracBits(SecretTensor x) => x.Scale == FracBits ? x : Rescale(x, FracBits);

    private Share PairConst(int n, double value, int scale) => _pair.AddPublic(Share.Empty(n, _pair.Components), Fill(n, FixedPointEncoding.Encode(value, scale)));

    private Share PairAddPublic(Share x, double value, int scale) => _pair.AddPublic(x, Fill(x.Length, FixedPointEncoding.Encode(value, scale)));

    /// <summary>Working scale of the polynomials (their variable lies in [−1, 1]).</summary>
    private const int PolyScale = 20;
    /// <summary>Raw scale of a polynomial's last product: its value must stay below 4 for the truncation.</summary>
    private const int PolyRawScale = 60;

    /// <summary>x (its value at scale <paramref name="scale"/>) as a pending value at the working scale s: a truncation
    /// folded into the next product when the scale is finer, a local lift when it is coarser.</summary>
    private static Pending AtPolyScale(Share x, int scale) =>
        scale >= PolyScale ? new Pending(x, scale - PolyScale) : new Pending(x.Scale(1UL << (PolyScale - scale)), 0);

    /// <summary>
    /// Σ_{j=0..8} c_j v^j for |v| ≤ 1 (v pending, its value at scale s = 20) in three rounds of one-round fixed-point
    /// products (<see cref="TruncatedProducts"/>): v² (the same opening gives v itself, truncated); v³ and v⁴
    /// together; then v⁴·B(v) with B = c4 + c5 v + … + c8 v⁴, formed at raw scale 2s + t and truncated by that
    /// product's opening, while A = c0 + c1 v + c2 v² + c3 v³ is formed at the last product's raw scale 2^60 and added to
    /// it. Returns the value pending at raw scale 2^60 (truncation to <paramref name="outScale"/> still due).
    /// t = 61 − 2s − ⌈log2 Σ|c4..c8|⌉ keeps B's raw value below 2^62 (14 bits for SiLU's fit, 21 for exp).
    /// </summary>
    private Pending Poly8(Pending v, double[] c, int outScale)
    {
        const int s = PolyScale, sf = PolyRawScale;
        var (first, truncated) = _prod.Run([(v, v)]);
        var vt = truncated[v];
        var v2 = new Pending(first[0], s);
        var level2 = Products((v2, Exact(vt)), (v2, v2));
        Share v3 = level2[0], v4 = level2[1];
        double maxB = Enumerable.Range(4, 5).Sum(j => Math.Abs(c[j]));
        int t = Math.Min(sf - 2 * s, 61 - 2 * s - (int)Math.Ceiling(Math.Log2(Math.Max(maxB, 1e-9))));
        int sb = sf - s;
        var b = PairConst(v.Raw.Length, c[4], 2 * s + t)
            .Add(vt.Scale(FixedPointEncoding.Encode(c[5], s + t)))
            .Add(v2.Raw.Scale(FixedPointEncoding.Encode(c[6], t)))
            .Add(v3.Scale(FixedPointEncoding.Encode(c[7], t)))
            .Add(v4.Scale(FixedPointEncoding.Encode(c[8], t)));
        var a = PairConst(v.Raw.Length, c[0], sf)
            .Add(vt.Scale(FixedPointEncoding.Encode(c[1], sf - s)))
            .Add(v2.Raw.Scale(FixedPointEncoding.Encode(c[2], sf - 2 * s)))
            .Add(v3.Scale(FixedPointEncoding.Encode(c[3], sf - 2 * s)));
        var last = Products((new Pending(v4, s), new Pending(b, 2 * s + t - sb)))[0];
        return new Pending(last.Add(a), sf - outScale);
    }

    /// <summary>
    /// e^x for x in [−2^20, 5] (inputs below −16 are treated as −16). x is clamped by one fused comparison and product
    /// (x + [x &lt; −16]·(−16 − x)), read as y = x / 2^4 at scale f + 4 for free (|y| &lt;= 1), e^y is its degree-8 Taylor
    /// polynomial (<see cref="Poly8"/>: three rounds, remainder &lt;= 2.5e-6), then squared four times at one round each.
    /// </summary>
    public SecretTensor Exp(SecretTensor x)
    {
        using var scope = Scope("exp");
        x = AtFracBits(x);
        return T(x.Shape, FracBits, FromPair(Finish(ExpPair(ToPair(x.Data)))));
    }

    /// <summary>e^x on the 2-out-of-2 form, pending (its value at scale f once truncated).</summary>
    private Pending ExpPair(Share x)
    {
        var shifted = PairAddPublic(x, -ExpClamp, FracBits);
        var (_, lift) = _cmp.Sign(shifted, Width(NonlinearRangeLog2 + 1), shifted.Neg(), Identity(x.Length));
        var xc = x.Add(lift!);
        var p = Poly8(AtPolyScale(xc, FracBits + ExpSquarings), ExpTaylor, PolyScale);
        for (int i = 0; i < ExpSquarings; i++)
        {
            var sq = Products((p, p))[0];
            p = new Pending(sq, i == ExpSquarings - 1 ? 2 * PolyScale - FracBits : PolyScale);
        }
        return p;
    }

    /// <summary>
    /// The domain of exp, SiLU, sigmoid and softmax: |x| &lt; 2^20 (real). Their comparisons then need only the bits a
    /// value inside it can reach, f + 21 (37 at f = 16) instead of 63: the helper gates' per-bit vectors, most of their
    /// bytes, shrink accordingly. Inputs outside the domain compare wrongly.
    /// </summary>
    public const int NonlinearRangeLog2 = 20;

    /// <summary>Comparison width for values below 2^log2Bound (real) in magnitude at scale f.</summary>
    private int Width(int log2Bound) => WidthAt(log2Bound, FracBits);

    private static int[] Identity(int n) => Enumerable.Range(0, n).ToArray();

    /// <summary>Comparison width for values below 2^log2Bound in magnitude (real) at raw scale <paramref name="scale"/>.</summary>
    private static int WidthAt(int log2Bound, int scale) => Math.Min(FullWidth, log2Bound + scale + 1);

    /// <summary>Scale used for 1/x on [2^lo, 2^hi): as fine as the products allow (y (1 + e) must stay below 2^62).</summary>
    private static int ReciprocalScale(int minLog2) => Math.Min(28, (60 + minLog2) / 2);

    /// <summary>
    /// 1/x for x in [2^minLog2, 2^maxLog2). The binade of x comes from one batched comparison against the powers
    /// of two inside the range (no comparisons when the range is one binade); the start y0 = 2/3 * 2^-k puts
    /// e = 1 - x y0 within [-1/3, 1/3] (one product). Then Goldschmidt: 1/x = y0 (1 + e)(1 + e^2)(1 + e^4) / (1 - e^8),
    /// each factor's product batched with the next square of e: three more one-round product levels. The result carries
    /// scale min(28, (60 + minLog2) / 2), so small reciprocals keep their relative precision.
    /// </summary>
    public SecretTensor Reciprocal(SecretTensor x, int minLog2 = 0, int maxLog2 = 16)
    {
        using var scope = Scope("reciprocal");
        x = AtFracBits(x);
        return T(x.Shape, ReciprocalScale(minLog2), FromPair(Finish(ReciprocalPair(Exact(ToPair(x.Data)), minLog2, maxLog2))));
    }

    /// <summary>1/x on the 2-out-of-2 form for a pending x (its value at scale f), pending at the reciprocal's scale.</summary>
    private Pending ReciprocalPair(Pending x, int minLog2, int maxLog2)
    {
        int sy = ReciprocalScale(minLog2), n = x.Raw.Length, raw = FracBits + x.Bits;
        var bits = BinadeBits(x.Raw, raw, minLog2, maxLog2);
        var y0 = BinadeValue(bits, n, minLog2, maxLog2, sy, k => 2.0 / 3 * Math.Pow(2, -k));
        var xy = Products((x, Exact(y0)))[0];                                        // x y0 at raw f + sy
        ulong one = 1UL << (FracBits + sy);
        var e = new Pending(_pair.AddPublic(xy.Neg(), Fill(n, one)), FracBits);        // 1 − x y0, at sy
        var onePlusE = new Pending(_pair.AddPublic(xy.Neg(), Fill(n, 2 * one)), FracBits);
        var y = Exact(y0);
        for (int it = 0; it < ReciprocalIterations; it++)
        {
            if (it == ReciprocalIterations - 1) return new Pending(Products((y, onePlusE))[0], sy);
            var both = Products((y, onePlusE), (e, e));
            y = new Pending(both[0], sy);
            e = new Pending(both[1], sy);
            onePlusE = new Pending(_pair.AddPublic(both[1], Fill(n, 1UL << (2 * sy))), sy);
        }
        return y;
    }

    /// <summary>[x &lt; 2^j] for j = minLog2 + 1 .. maxLog2 - 1 from one batched comparison of x's raw value at
    /// <paramref name="scale"/> (null for a one-binade range).</summary>
    private Share? BinadeBits(Share x, int scale, int minLog2, int maxLog2)
    {
        int count = maxLog2 - minLog2 - 1;
        if (count <= 0) return null;
        var parts = new Share[count];
        for (int j = minLog2 + 1; j < maxLog2; j++)
            parts[j - minLog2 - 1] = PairAddPublic(x, -Math.Pow(2, j), scale);
        return _cmp.Sign(Share.Concat(parts), WidthAt(maxLog2, scale)).Bits;
    }

    /// <summary>
    /// value(k) for x in binade [2^k, 2^(k+1)), as a local linear combination of the comparison bits
    /// l_j = [x &lt; 2^j]: value(hi-1) - sum_j l_j (value(j) - value(j-1)).
    /// </summary>
    private Share BinadeValue(Share? below, int n, int minLog2, int maxLog2, int scale, Func<int, double> value)
    {
        var acc = PairConst(n, value(maxLog2 - 1), scale);
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

    private static int RsqrtScale(int minLog2) => Math.Min(24, (59 + minLog2) / 2);

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
        return T(x.Shape, RsqrtScale(minLog2), FromPair(Finish(RsqrtPair(ToPair(x.Data), minLog2, maxLog2))));
    }

    private Pending RsqrtPair(Share x, int minLog2, int maxLog2)
    {
        int sy = RsqrtScale(minLog2), n = x.Length, s = PolyScale;
        // y0^2 at scale sq: x y0^2 ≈ 1 ± 1/3, so the raw product 2^(f + sq) stays below 2^62 at sq = 60 - f - 1.
        int sq = 60 - FracBits - 1;
        var bits = BinadeBits(x, FracBits, minLog2, maxLog2);
        var y0 = BinadeValue(bits, n, minLog2, maxLog2, sy, k => Math.Sqrt(2.0 / 3) * Math.Pow(2, -k / 2.0));
        var y0Sq = BinadeValue(bits, n, minLog2, maxLog2, sq, k => 2.0 / 3 * Math.Pow(2, -k));
        var xy = Products((Exact(x), Exact(y0Sq)))[0];                                  // x y0^2 at raw f + sq
        var e = new Pending(_pair.AddPublic(xy.Neg(), Fill(n, 1UL << (FracBits + sq))), FracBits + sq - s);
        var p = Poly8(e, RsqrtSeries, s);
        return new Pending(Products((Exact(y0), p))[0], s);
    }

    /// <summary>
    /// 1 / (1 + e^-x) for |x| &lt; 2^20, via the sign: one fused comparison gives [x &lt; 0] and x·[x &lt; 0], so |x| is
    /// local; s = sigmoid(|x|) = 1 / (1 + e^-|x|) with e^-|x| in (0, 1], so the reciprocal's input lies in [1, 2] (no
    /// comparisons); then select s or 1 - s. Result at the reciprocal's scale.
    /// </summary>
    public SecretTensor Sigmoid(SecretTensor x)
    {
        using var scope = Scope("sigmoid");
        x = AtFracBits(x);
        int n = x.Length;
        var p = ToPair(x.Data);
        var (neg, xNeg) = _cmp.Sign(p, Width(NonlinearRangeLog2), p, Identity(n));
        var abs = p.Sub(xNeg!.Scale(2));
        var e = ExpPair(abs.Neg());
        var d = new Pending(_pair.AddPublic(e.Raw, Fill(n, 1UL << (FracBits + e.Bits))), e.Bits);
        var r = Finish(ReciprocalPair(d, 0, 1));
        int sr = ReciprocalScale(0);
        // s − [x < 0]·(2s − 1)
        var twoRMinus1 = _pair.AddPublic(r.Scale(2), Fill(n, 0 - (1UL << sr)));
        return T(x.Shape, sr, FromPair(r.Sub(_pair.MulRaw(neg, twoRMinus1))));
    }

    /// <summary>
    /// SiLU x·σ(x) = relu(x) − h(|x|) with h(t) = t·σ(−t), for |x| &lt; 2^20. One fused comparison batch gives [x &lt; 0],
    /// [x &lt; 8] and [x &lt; −8] together with their products by x, so relu(x) = x − x·[x &lt; 0] and t = min(|x|, 8) =
    /// x·([x&lt;8] + [x&lt;−8] − 2[x&lt;0]) + 8·(1 − [x&lt;8] + [x&lt;−8]) are local; then h(t) by the degree-8 fit
    /// (<see cref="Poly8"/>). |error| ≤ 6.3e-4·(|x| + 0.05) below |x| = 0.95, ≤ 6.3e-4 up to |x| = 8, ≤ 3.3e-3 beyond
    /// (plus rounding).
    /// </summary>
    public SecretTensor Silu(SecretTensor x)
    {
        using var scope = Scope("silu");
        x = AtFracBits(x);
        int n = x.Length, f = FracBits;
        var p = ToPair(x.Data);
        var idx = new int[3 * n];
        for (int i = 0; i < 3 * n; i++) idx[i] = i % n;
        var (bits, prods) = _cmp.Sign(Share.Concat(p, PairAddPublic(p, -SiluRange, f), PairAddPublic(p, SiluRange, f)), Width(NonlinearRangeLog2 + 1), p, idx);
        var neg = bits.Slice(0, n);
        var belowHi = bits.Slice(n, n);
        var belowLo = bits.Slice(2 * n, n);
        var xNeg = prods!.Slice(0, n);
        var absInside = prods.Slice(n, n).Add(prods.Slice(2 * n, n)).Sub(xNeg.Scale(2));   // |x|·[|x| < 8]
        var outside = _pair.AddPublic(belowLo.Sub(belowHi), Fill(n, 1));                       // [|x| >= 8]
        var tc = absInside.Add(outside.Scale(FixedPointEncoding.Encode(SiluRange, f)));        // min(|x|, 8) at f
        // v = (t - 4)/8: t - 4 read at scale f + 3.
        var h = Poly8(AtPolyScale(PairAddPublic(tc, -SiluRange / 2, f), f + 3), SiluTail, f);
        // h truncated on its own: relu(x) up to 2^20 does not fit h's raw scale.
        return T(x.Shape, f, FromPair(p.Sub(xNeg).Sub(Finish(h))));
    }

    /// <summary>
    /// Softmax along the last axis, for scores |x| &lt; 2^20. <paramref name="valid"/> (public, broadcast to x's shape by
    /// <paramref name="validShape"/>) marks positions that take part; the others get probability 0. Max by the
    /// helper tournament, exp of x - max (&lt;= 0), row sums (still pending their truncation), one reciprocal per row on
    /// [1, n], one product.
    /// </summary>
    public SecretTensor Softmax(SecretTensor x, ReadOnlySpan<bool> valid = default, int[]? validShape = null)
    {
        using var scope = Scope("softmax");
        x = AtFracBits(x);
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        var xp = ToPair(x.Data);
        ulong[]? keep = null;
        if (!valid.IsEmpty)
        {
            var idx = Shapes.BroadcastIndex(validShape ?? [valid.Length], x.Shape);
            keep = new ulong[x.Length];
            var low = new ulong[x.Length];
            ulong big = FixedPointEncoding.Encode(MaskedScore, FracBits);
            for (int i = 0; i < idx.Length; i++) { keep[i] = valid[idx[i]] ? 1UL : 0; low[i] = valid[idx[i]] ? 0 : big; }
            xp = _pair.AddPublic(xp.MulPublic(keep), low);
        }
        var max = keep is not null && ChunkedMaxPays(keep, n) ? MaxOfValid(xp, keep, n) : MaxPair(xp, rows, n, ScoreKeyWidth);
        int hi = 1;
        while ((1 << hi) <= n) hi++;
        int sy = ReciprocalScale(0);
        // x − max, on the valid entries only (a causal prefill masks about half of x): gathered by their public
        // positions, exponentiated, summed per row and scattered back, the masked ones as zeros.
        var positions = new List<int>();
        var back = new int[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            back[i] = keep is null || keep[i] == 1 ? positions.Count : -1;
            if (back[i] >= 0) positions.Add(i);
        }
        var rowOf = positions.Select(i => i / n).ToArray();
        var ev = ExpPair(xp.Gather([.. positions]).Sub(max.Gather(rowOf)));
        var sum = new Pending(ev.Raw.GatherOrZero(back).Map(rows, (s, d) => Kernels.Ring.RingOps.RowSums(s, n, d)), ev.Bits);
        var r = ReciprocalPair(sum, 0, hi + 1);
        var pv = Products((ev, new Pending(r.Raw.Gather(rowOf), r.Bits)))[0];
        return T(x.Shape, FracBits, FromPair(_pair.Trunc(pv, sy).GatherOrZero(back)));
    }

    /// <summary>The value a masked score takes before the maximum (never the maximum of a row with a valid entry).</summary>
    private const double MaskedScore = -(double)(1 << 20);

    private const int MaxChunk = 16;

    /// <summary>Tournament keys 8·x + index of scores in the domain differ by less than 2^25 (real).</summary>
    private int ScoreKeyWidth => Width(NonlinearRangeLog2 + 5);

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
    /// each row's valid entries in chunks of <see cref="MaxChunk"/>, then the chunk maxima of each row (padded with
    /// −2^20, like masked entries). About half the comparisons of a whole-row tournament under a causal mask, with the
    /// same maximum.
    /// </summary>
    private Share MaxOfValid(Share x, ulong[] keep, int n)
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
        var chunkMax = MaxPair(GatherOrLow(x, [.. first]), first.Count / MaxChunk, MaxChunk, ScoreKeyWidth);
        int width = chunks.Max();
        var second = new int[rows * width];
        for (int r = 0, start = 0; r < rows; start += chunks[r], r++)
            for (int j = 0; j < width; j++) second[r * width + j] = j < chunks[r] ? start + j : -1;
        return MaxPair(GatherOrLow(chunkMax, second), rows, width, ScoreKeyWidth);
    }

    /// <summary>A gather by public indices with −2^20 (a masked entry's value, never the maximum) where the index is −1.</summary>
    private Share GatherOrLow(Share x, int[] indices)
    {
        ulong low = FixedPointEncoding.Encode(MaskedScore, FracBits);
        return _pair.AddPublic(x.GatherOrZero(indices), indices.Select(i => i < 0 ? low : 0).ToArray());
    }
}
