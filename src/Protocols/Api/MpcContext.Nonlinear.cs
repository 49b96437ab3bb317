using PrivateInference.Protocols.Circuits;
using PrivateInference.Protocols.Core;
using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    /// <summary>Inputs below this are clamped to it in <see cref="Exp"/> (e^-16 is below 2^-16 anyway).</summary>
    public const double ExpClamp = -16;
    /// <summary>|x| beyond which SiLU is taken as relu(x) − p(8).</summary>
    public const double SiluRange = 8;
    /// <summary>Goldschmidt steps of the reciprocal after its start (the error e^4 from |e| ≤ 0.0865).</summary>
    public const int ReciprocalIterations = 2;
    /// <summary>Sub-binades per binade in the reciprocal's and rsqrt's start: thresholds at 2^(j/4) put the start within
    /// 2^(1/8) of the answer, |e| ≤ (2^(1/4) − 1)/(2^(1/4) + 1) = 0.0865, so two Goldschmidt steps and a degree-4 series
    /// reach the accuracy of three steps and degree 8 from whole binades.</summary>
    public const int SubBinades = 4;


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
    /// Σ_j c_j v^j (degree 4 or 8) for v pending, its value at the working scale s = 20 and |v| ≤ vMax, in one-round
    /// fixed-point products (<see cref="TruncatedProducts"/>). Degree 8 takes three rounds: v² (the same opening gives v
    /// itself, truncated); v³ and v⁴ together; then v⁴·B(v) with B = c4 + c5 v + … + c8 v⁴. Degree 4 takes two: v², then
    /// v²·B with B = c2 + c3 v + c4 v². B is formed at raw scale 2s + t and truncated by that product's opening, while
    /// the low part A (c0 + c1 v [+ c2 v² + c3 v³]) is formed at the last product's raw scale 2^60 and added to it.
    /// Returns the value pending at raw scale 2^60 (truncation to <paramref name="outScale"/> still due; |p| &lt; 4).
    /// t = 61 − 2s − ⌈log2 max|B|⌉ keeps B's raw value below 2^62.
    /// </summary>
    private Pending Poly(Pending v, double[] c, double vMax, int outScale, int rawScale = PolyRawScale)
    {
        var result = new RoundSteps.Outcome<Pending>();
        RoundSteps.Run(RoleChannel, PolySteps(_prod, v, c, vMax, outScale, result, rawScale: rawScale));
        return result.Value;
    }

    /// <summary><see cref="Poly"/> as round steps on the given products gate (a fork's, in a lockstep).</summary>
    /// <param name="opening">Kept for a sign test on v in the same lockstep (its first round's opening of v).</param>
    /// <remarks>Every product stays in the full ring: A and B are formed from v, v², v³ and v⁴ at raw scales near 2^60
    /// for the precision of their coefficients. Opening v² and v⁴ in 48 bits and lifting them back
    /// (<see cref="TruncatedProducts"/>' narrow rings) saved P0 and P1 two bytes each per element and cost the helper
    /// about nine more (ρ and ω wider, and the terms they enter), so they open in full.</remarks>
    /// <param name="rawScale">The raw scale of the result (2^60 unless the caller adds a value that must fit beside it;
    /// at 2^54 the low part's coefficients of degree 2 and 3 keep 14 fractional bits).</param>
    private IEnumerable<int> PolySteps(TruncatedProducts prod, Pending v, double[] c, double vMax, int outScale, RoundSteps.Outcome<Pending> result,
        SharedOpening? opening = null, int rawScale = PolyRawScale)
    {
        const int s = PolyScale;
        int sf = rawScale;
        if (sf is < 2 * PolyScale + 8 or > PolyRawScale) throw new ArgumentOutOfRangeException(nameof(rawScale), $"a polynomial's raw scale must be {2 * PolyScale + 8}..{PolyRawScale}");
        int n = v.Raw.Length, deg = c.Length - 1, split = deg / 2;
        if (deg is not (4 or 8)) throw new ArgumentException("polynomials of degree 4 or 8");
        var level = new RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)>();
        // The first round's opening of v is kept: for a sign test on v beside the polynomial, and so that v³ = v²·v
        // opens only v² (v as the truncated operand of that opening, not opened again).
        opening ??= new SharedOpening();
        var shared = new Dictionary<Pending, SharedOpening>(ReferenceEqualityComparer.Instance) { [v] = opening };
        foreach (var step in prod.RunSteps([(v, v)], [], level, shared)) yield return step;
        var (first, truncated) = level.Value;
        var vt = truncated[v];
        var v2 = new Pending(first[0], s);
        // Raw powers at scale 2s (v itself at s): pw[j] for j = 1..split.
        var pw = new Share[split + 1];
        pw[1] = vt;
        pw[2] = v2.Raw;
        if (deg == 8)
        {
            var vOpened = Exact(vt);
            var reuse = new Dictionary<Pending, SharedOpening>(ReferenceEqualityComparer.Instance) { [vOpened] = opening };
            foreach (var step in prod.RunSteps([(v2, vOpened), (v2, v2)], [], level, reuse: reuse)) yield return step;
            pw[3] = level.Value.Products[0];
            pw[4] = level.Value.Products[1];
        }
        double maxB = Enumerable.Range(split, deg - split + 1).Sum(j => Math.Abs(c[j]) * Math.Pow(vMax, j - split));
        int t = Math.Min(sf - 2 * s, 61 - 2 * s - (int)Math.Ceiling(Math.Log2(Math.Max(maxB, 1e-9))));
        int sb = sf - s;
        var b = PairConst(n, c[split], 2 * s + t).Add(vt.Scale(FixedPointEncoding.Encode(c[split + 1], s + t)));
        for (int j = 2; j <= deg - split; j++) b = b.Add(pw[j].Scale(FixedPointEncoding.Encode(c[split + j], t)));
        var a = PairConst(n, c[0], sf).Add(vt.Scale(FixedPointEncoding.Encode(c[1], sf - s)));
        for (int j = 2; j < split; j++) a = a.Add(pw[j].Scale(FixedPointEncoding.Encode(c[j], sf - 2 * s)));
        foreach (var step in prod.RunSteps([(new Pending(pw[split], s), new Pending(b, 2 * s + t - sb))], [], level))
            yield return step;
        result.Value = new Pending(level.Value.Products[0].Add(a), sf - outScale);
    }

    /// <summary>
    /// e^x for x in [−2^20, 5] (inputs below −16 give 0, e^-16 being below 2^-16 anyway). x is read as x / 8 at scale
    /// f + 3 for free and shifted to u = x/8 + 11/16, and e^(x/8) = e^(u − 11/16) comes from its degree-8 Chebyshev
    /// interpolant (<see cref="Poly"/>: three rounds, relative error 1.6e-7 for u ∈ ±1.31, that is x ∈ [−16, 5]);
    /// in the same three rounds the sign gate gives [x &lt; −16] (a lockstep, <see cref="RoundSteps"/>). The first of
    /// three squarings multiplies by 1 − [x &lt; −16] in its one round (a square times a factor), so the
    /// interpolant's value outside its interval, whatever it is, becomes an exact 0; two squarings follow. Six rounds
    /// where clamping first took nine.
    /// </summary>
    public SecretTensor Exp(SecretTensor x)
    {
        using var scope = Scope("exp");
        x = AtFracBits(x);
        return T(x.Shape, FracBits, Finish(ExpPair(AsPair(x), FracBits, Approximations.Exp, NonlinearRangeLog2)), pair: true);
    }

    /// <summary>e^x on the 2-out-of-2 form for x at <paramref name="scale"/> ≥ f, pending (its value at scale f once
    /// truncated): a finer input scale is dropped inside the first product's opening, at no extra round. x is read as
    /// x/8 at scale + 3 (free); <paramref name="approximation"/> fixes the domain's upper end and the squarings; x lies
    /// above −2^(<paramref name="rangeLog2"/> + 1), so the clamp test compares only the bits from 2^-1 to there.</summary>
    private Pending ExpPair(Share x, int scale, Approximations.ExpApproximation approximation, int rangeLog2)
    {
        int n = x.Length, sq = approximation.Squarings;
        const int read = 3;
        var u = PairAddPublic(x, approximation.Shift, scale + read);
        var v = AtPolyScale(u, scale + read);
        // The clamp test [x < −16] reads the polynomial's first opening of v: v.Raw = 2^lift·(x + shift) at the raw
        // scale of x, so 2^lift·(x + 16) = v.Raw + offset, a public offset, compared at lift more bits.
        int lift = Math.Max(0, PolyScale - (scale + read));
        ulong offset = (FixedPointEncoding.Encode(-ExpClamp, scale) - FixedPointEncoding.Encode(approximation.Shift, scale + read)) << lift;
        int clampBits = WidthAt(rangeLog2 + 1, scale) + lift;
        // Narrow rings (TruncatedProducts): v opens in the bits it reaches and the clamp test reads (so softmax's shift
        // is wanted in that ring only), the squares in those of their largest opened value e^(x_hi / 2) at raw 2^(2s).
        if (v.Bits > 0) v = v with { Width = ExpInputRing(scale, rangeLog2) };
        double xHi = 8 * (approximation.HalfWidth - approximation.Shift);
        int squares = RingFor(2 * PolyScale + (int)Math.Ceiling(xHi / 2 / Math.Log(2)) + 2);
        var opening = new SharedOpening();
        var poly = new RoundSteps.Outcome<Pending>();
        var below = new RoundSteps.Outcome<(Share Bits, Share? Products)>();
        var prod = new TruncatedProducts(RoleChannel, _keys.Fork());
        var cmp = new MaskedComparison(RoleChannel, _keys.Fork());
        // The polynomial first: its first round's opening is the comparison's.
        RoundSteps.Lockstep(RoleChannel,
            PolySteps(prod, v, approximation.Coefficients, approximation.HalfWidth, PolyScale, poly, opening),
            cmp.SignStepsOnOpened(opening, n, offset, clampBits, below,
                drop: Math.Max(0, scale + ClampResolutionLog2) + lift));
        var inside = Exact(_pair.AddPublic(below.Value.Bits.Neg(), Fill(n, 1)));              // 1 − [x < −16]
        var p = poly.Value;
        for (int i = 0; i < sq; i++)
        {
            // Every square but the last is wanted only in the squares' ring (the next squaring opens it there); the
            // last lifts back to the full ring for the sums and the truncation. A clamped element's garbage, times the
            // exact 0 of the first squaring, is 0 in any ring.
            int outWidth = i == sq - 1 ? 64 : squares;
            var raw = i == 0 ? SquareTimes(p, inside, outWidth) : _prod.Run([(p, p)], outWidth).Products[0];
            p = new Pending(raw, i == sq - 1 ? 2 * PolyScale - FracBits : PolyScale, outWidth == 64 ? 64 : squares);
        }
        return p;
    }

    /// <summary>
    /// The ring exp's input x (raw scale <paramref name="scale"/>, x ∈ [−2^(rangeLog2 + 1), 5]) must be right in: v =
    /// x/8 + shift, below 2^(rangeLog2 − 1), opens in the bits it reaches (|v| &lt; 2^(w − 2)) and that the clamp test
    /// reads (rangeLog2 + scale + 3). When v is not truncated but lifted to the working scale or already at it
    /// (scale + 3 ≤ 20) it is an exact operand and opens in the full ring.
    /// </summary>
    private static int ExpInputRing(int scale, int rangeLog2)
    {
        const int read = 3;
        if (scale + read <= PolyScale) return 64;
        int vBits = rangeLog2 - 1 + scale + read, clampBits = WidthAt(rangeLog2 + 1, scale);
        return RingFor(Math.Max(vBits + 2, clampBits + 1));
    }

    /// <summary>The ring, in whole bytes, for values of <paramref name="bits"/> bits (<see cref="NarrowWords"/>).</summary>
    private static int RingFor(int bits) => Math.Min(64, 8 * ((bits + 7) / 8));

    /// <summary>
    /// The widest domain of exp, SiLU, sigmoid and softmax: |x| &lt; 2^20 (real). Their comparisons then need only the bits
    /// a value inside it can reach, f + 21 (37 at f = 16) instead of 63: the helper gates' per-bit vectors, most of their
    /// bytes, shrink accordingly. A session may narrow the scores' and the gates' domains to what its model can reach
    /// (<see cref="MpcOptions.ScoreRangeLog2"/>, <see cref="MpcOptions.GateRangeLog2"/>): fewer bits again. Inputs
    /// outside the domain compare wrongly.
    /// </summary>
    public const int NonlinearRangeLog2 = 20;

    /// <summary>The narrowest domain a session may set: 2^6, so that x ± 8 (SiLU's clamp) and a score 16 above a
    /// masked entry stay inside it.</summary>
    public const int MinRangeLog2 = 6;

    /// <summary>The narrowest gate domain a session may set: 2^3, where SiLU's inputs stay below its clamp at 8 and its
    /// tests against ±8 drop out (<see cref="SiluInputs"/>). Sigmoid's exp keeps its clamp test at 2^6.</summary>
    public const int MinGateRangeLog2 = 3;

    private int ScoreRangeLog2 => Options.ScoreRangeLog2;
    private int GateRangeLog2 => Options.GateRangeLog2;

    /// <summary>
    /// The clamp test [x &lt; −16] of exp is exact for |x + 16| ≥ 2^-1 only: either answer is as good in between, where
    /// e^x &lt; 1.2·10^-7 is as small as what the clamp itself cuts off (e^-16, below 2^-16) — kept, the interpolant is read at most 0.0625 beyond its interval
    /// (|u| ≤ 1.375 against 1.3125: its last product's factor stays below 0.029 against the 0.031 its scale allows), or
    /// dropped, an exact 0. 13 bits fewer than the sign resolution below, on every exponentiated score.
    /// </summary>
    private const int ClampResolutionLog2 = -1;

    /// <summary>Sign tests inside the nonlinear functions are exact down to |x| ≥ 2^-14 (real): below, either answer is
    /// as good (clamp, relu and |x| are continuous there, to within 2^-14); the low bits they skip save bytes.</summary>
    private const int SignResolutionLog2 = -14;

    /// <summary>Low bits a sign test at <paramref name="scale"/> may skip (<see cref="SignResolutionLog2"/>).</summary>
    private static int Drop(int scale) => Math.Max(0, scale + SignResolutionLog2);

    /// <summary>Comparison width for values below 2^log2Bound (real) in magnitude at scale f.</summary>
    private int Width(int log2Bound) => WidthAt(log2Bound, FracBits);

    private static int[] Identity(int n) => Enumerable.Range(0, n).ToArray();

    /// <summary>Comparison width for values below 2^log2Bound in magnitude (real) at raw scale <paramref name="scale"/>.</summary>
    private static int WidthAt(int log2Bound, int scale) => Math.Min(FullWidth, log2Bound + scale + 1);

    /// <summary>Scale used for 1/x on [2^lo, 2^hi): as fine as the products allow (y (1 + e) must stay below 2^62).</summary>
    private static int ReciprocalScale(int minLog2) => Math.Min(28, (60 + minLog2) / 2);

    /// <summary>
    /// 1/x for x in [2^minLog2, 2^maxLog2). The binade of x comes from one batched comparison against the powers
    /// 2^(j/4) inside the range; in the sub-binade [L, L·2^(1/4)) the start y0 = 2 / (L (1 + 2^(1/4))) puts
    /// e = 1 − x y0 within ±0.0865 (one product). Then Goldschmidt: 1/x = y0 (1 + e)(1 + e^2) / (1 − e^4), the first
    /// factor's product batched with the square of e: two more one-round product levels. The result carries
    /// scale min(28, (60 + minLog2) / 2), so small reciprocals keep their relative precision.
    /// </summary>
    public SecretTensor Reciprocal(SecretTensor x, int minLog2 = 0, int maxLog2 = 16)
    {
        using var scope = Scope("reciprocal");
        x = AtFracBits(x);
        return T(x.Shape, ReciprocalScale(minLog2), Finish(ReciprocalPair(Exact(AsPair(x)), minLog2, maxLog2)), pair: true);
    }

    /// <summary>1/x on the 2-out-of-2 form for a pending x (its value at scale f), pending at the reciprocal's scale.</summary>
    private Pending ReciprocalPair(Pending x, int minLog2, int maxLog2)
    {
        int sy = ReciprocalScale(minLog2), n = x.Raw.Length, raw = FracBits + x.Bits;
        var bits = BinadeBits(x.Raw, raw, minLog2, maxLog2);
        var y0 = BinadeValue(bits, n, minLog2, maxLog2, sy, lo => 2 / (lo * (1 + SubBinadeRatio)));
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

    private static readonly double SubBinadeRatio = Math.Pow(2, 1.0 / SubBinades);

    /// <summary>Lower end 2^(minLog2 + j/4) of sub-binade j.</summary>
    private static double SubBinadeLow(int minLog2, int j) => Math.Pow(2, minLog2 + (double)j / SubBinades);

    /// <summary>[x &lt; 2^(minLog2 + j/4)] for j = 1 .. 4(maxLog2 − minLog2) − 1 from one batched comparison of x's raw value
    /// at <paramref name="scale"/>.</summary>
    private Share BinadeBits(Share x, int scale, int minLog2, int maxLog2)
    {
        int count = SubBinades * (maxLog2 - minLog2) - 1;
        var parts = new Share[count];
        for (int j = 1; j <= count; j++) parts[j - 1] = PairAddPublic(x, -SubBinadeLow(minLog2, j), scale);
        // Thresholds are at least 2^minLog2: skipping bits below 2^(minLog2 − 10) moves a sub-binade edge by at most
        // 2^-10 relative, which widens |e| from 0.0865 to at most 0.0875.
        return SignBits(Share.Concat(parts), WidthAt(maxLog2, scale), Math.Max(0, scale + minLog2 - 10));
    }

    /// <summary>
    /// value(L) for x in the sub-binade [L, L·2^(1/4)), as a local linear combination of the comparison bits
    /// l_j = [x &lt; L_j]: value(L_last) − Σ_j l_j (value(L_j) − value(L_(j−1))).
    /// </summary>
    private Share BinadeValue(Share below, int n, int minLog2, int maxLog2, int scale, Func<double, double> value)
    {
        int count = SubBinades * (maxLog2 - minLog2) - 1;
        var acc = PairConst(n, value(SubBinadeLow(minLog2, count)), scale);
        for (int j = 1; j <= count; j++)
        {
            ulong delta = FixedPointEncoding.Encode(value(SubBinadeLow(minLog2, j)) - value(SubBinadeLow(minLog2, j - 1)), scale);
            acc = acc.Sub(below.Slice((j - 1) * n, n).Scale(delta));
        }
        return acc;
    }

    private static int RsqrtScale(int minLog2) => Math.Min(24, (59 + minLog2) / 2);

    /// <summary>
    /// 1/sqrt(x) for x in [2^minLog2, 2^maxLog2): from the sub-binade bits both y0² = 2 / (L (1 + 2^(1/4))) and y0 are
    /// local linear combinations, so e = 1 - x y0^2 ∈ ±0.0865 takes one product; then 1/sqrt(x) = y0 (1 - e)^(-1/2)
    /// with the binomial series to degree 4 (<see cref="Poly"/>, two rounds, remainder ≤ 2.5e-6) and one last product by y0.
    /// Result at scale min(24, (59 + minLog2) / 2).
    /// </summary>
    public SecretTensor Rsqrt(SecretTensor x, int minLog2 = -10, int maxLog2 = 14)
    {
        using var scope = Scope("rsqrt");
        var (e, y0, bits) = RsqrtStart(AtLeastFracBits(x, maxLog2), minLog2, maxLog2, null);
        var p = Poly(e, Approximations.RsqrtSeries, 0.09, PolyScale);
        var y = new Pending(Products((Exact(y0), p))[0], PolyScale);
        return T(x.Shape, RsqrtScale(minLog2), Finish(y), pair: true);
    }

    /// <summary>
    /// x · rsqrt(s) with s [..., 1] (or [...]) broadcast over x's last axis: RMSNorm's scaling. s may carry a finer
    /// scale than f (Σx² untruncated: its truncation is folded into the first product). x·y0 is formed in the same
    /// round as e, so after the series one product (x·y0)·p and its truncation remain: two rounds fewer than rsqrt
    /// followed by a product.
    /// </summary>
    public SecretTensor MulRsqrt(SecretTensor x, SecretTensor s, int minLog2 = -10, int maxLog2 = 14)
    {
        using var scope = Scope("rsqrt");
        x = AtFracBits(x);
        return T(x.Shape, FracBits, MulRsqrtPair(AsPair(x), x.Shape, s, minLog2, maxLog2), pair: true);
    }

    /// <summary>
    /// RMSNorm's scaling x · rsqrt(Σx² + addend) along the last axis, for x at scale f or finer: a residual stream
    /// left untruncated (its last summand a matmul output at 2f) has its truncation folded into the opening of x·x,
    /// which yields x truncated as well (<see cref="TruncatedProducts"/>), so the truncation costs no round. Then as
    /// <see cref="MulRsqrt"/>: 1 + 3 + 1 + 2 + 1 + 1 rounds in all. Σx² + addend must lie in [2^minLog2, 2^maxLog2).
    /// </summary>
    public SecretTensor RmsNormalize(SecretTensor x, double addend, int minLog2 = -10, int maxLog2 = 14)
    {
        using var scope = Scope("rsqrt");
        if (x.Scale < FracBits) x = Rescale(x, FracBits);
        int d = x.LastDim, rows = x.Length / Math.Max(1, d);
        var xp = new Pending(AsPair(x), x.Scale - FracBits);
        var (squares, truncated) = _prod.Run([(xp, xp)]);
        var sums = squares[0].Map(rows, (q, dst) => Kernels.Ring.RingOps.RowSums(q, d, dst));
        var s = T([.. x.Shape[..^1], 1], 2 * FracBits, PairAddPublic(sums, addend, 2 * FracBits), pair: true);
        return T(x.Shape, FracBits, MulRsqrtPair(truncated[xp], x.Shape, s, minLog2, maxLog2), pair: true);
    }

    /// <summary>x (on the 2-out-of-2 form, at f) times rsqrt(s) broadcast over its last axis.</summary>
    private Share MulRsqrtPair(Share x, int[] shape, SecretTensor s, int minLog2, int maxLog2)
    {
        int rows = s.Length, d = shape.Length == 0 ? 1 : shape[^1];
        if (x.Length != rows * d) throw new ArgumentException("one sum per row of x");
        var rowOf = Enumerable.Range(0, x.Length).Select(i => i / d).ToArray();
        var (e, _, xy0) = RsqrtStart(AtLeastFracBits(s, maxLog2), minLog2, maxLog2, (x, rowOf));
        var p = Poly(e, Approximations.RsqrtSeries, 0.09, PolyScale);
        int sy = RsqrtScale(minLog2);
        var z = Products((new Pending(xy0!, FracBits), new Pending(p.Raw.Gather(rowOf), p.Bits)))[0];   // at sy + s
        return _pair.Trunc(z, sy + PolyScale - FracBits);
    }

    /// <summary>A tensor at scale f or finer (a coarser one is lifted, locally), kept at its finer scale only while values
    /// below 2^log2Bound (real) fit it with room for the gates (else truncated to f first, one round).</summary>
    private SecretTensor AtLeastFracBits(SecretTensor x, int log2Bound) =>
        x.Scale < FracBits || log2Bound + x.Scale + 2 > FullWidth ? Rescale(x, FracBits) : x;

    /// <summary>
    /// The start of rsqrt for x at a scale ≥ f: the sub-binade comparisons, y0 and y0² as local combinations, and
    /// e = 1 − x y0² (pending at the working scale) from one product round, in which x·y0 for a factor (given with the
    /// row of each of its elements) is formed too (raw at f + sy).
    /// </summary>
    private (Pending E, Share Y0, Share? FactorY0) RsqrtStart(SecretTensor x, int minLog2, int maxLog2, (Share Values, int[] Row)? factor)
    {
        int sy = RsqrtScale(minLog2), n = x.Length, s = PolyScale;
        // y0^2 at scale sq: x y0^2 ≈ 1 ± 0.09, so the raw product 2^(f + sq) stays below 2^62 at sq = 60 - f - 1.
        int sq = 60 - FracBits - 1;
        var xp = new Pending(AsPair(x), x.Scale - FracBits);
        var bits = BinadeBits(xp.Raw, x.Scale, minLog2, maxLog2);
        var y0 = BinadeValue(bits, n, minLog2, maxLog2, sy, lo => Math.Sqrt(2 / (lo * (1 + SubBinadeRatio))));
        var y0Sq = BinadeValue(bits, n, minLog2, maxLog2, sq, lo => 2 / (lo * (1 + SubBinadeRatio)));
        Share[] prods = factor is { } f
            ? Products((xp, Exact(y0Sq)), (Exact(f.Values), Exact(y0.Gather(f.Row))))
            : Products((xp, Exact(y0Sq)));
        var e = new Pending(_pair.AddPublic(prods[0].Neg(), Fill(n, 1UL << (FracBits + sq))), FracBits + sq - s);
        return (e, y0, factor is null ? null : prods[1]);
    }

    /// <summary>
    /// 1 / (1 + e^-x) for |x| &lt; 2^20, via the sign: one fused comparison gives [x &lt; 0] and x·[x &lt; 0], so |x| is
    /// local; s = sigmoid(|x|) = 1 / (1 + e^-|x|) with e^-|x| in (0, 1] (the two-squaring exp of softmax), so the
    /// reciprocal's input lies in [1, 2] (one binade: its sub-binade gate only); then select s or 1 - s. Result at the
    /// reciprocal's scale.
    /// </summary>
    public SecretTensor Sigmoid(SecretTensor x)
    {
        using var scope = Scope("sigmoid");
        x = AtFracBits(x);
        int n = x.Length;
        var p = AsPair(x);
        var (neg, xNeg) = _cmp.SignOfShifted(p, Width(GateRangeLog2), Identity(n), new ulong[n], [(n, Drop(FracBits))]);
        var abs = p.Sub(xNeg.Scale(2));
        var e = ExpPair(abs.Neg(), FracBits, Approximations.ExpToQuarter, Math.Max(GateRangeLog2, MinRangeLog2));
        var d = new Pending(_pair.AddPublic(e.Raw, Fill(n, 1UL << (FracBits + e.Bits))), e.Bits);
        var r = Finish(ReciprocalPair(d, 0, 1));
        int sr = ReciprocalScale(0);
        // s − [x < 0]·(2s − 1)
        var twoRMinus1 = _pair.AddPublic(r.Scale(2), Fill(n, 0 - (1UL << sr)));
        return T(x.Shape, sr, r.Sub(_pair.MulRaw(neg, twoRMinus1)), pair: true);
    }

    /// <summary>
    /// SiLU x·σ(x) = relu(x) − h(|x|) with h(t) = t·σ(−t), for |x| inside the gate domain. One fused comparison batch
    /// gives [x &lt; 0], [x &lt; 8] and [x &lt; −8] together with their products by x, so relu(x) = x − x·[x &lt; 0] and
    /// t = min(|x|, 8) = x·([x&lt;8] + [x&lt;−8] − 2[x&lt;0]) + 8·(1 − [x&lt;8] + [x&lt;−8]) are local; then h(t) by the degree-8
    /// fit (<see cref="Poly"/>). |error| ≤ 6.3e-4·(|x| + 0.05) below |x| = 0.95, ≤ 6.3e-4 up to |x| = 8, ≤ 3.3e-3 beyond
    /// (plus rounding).
    /// </summary>
    public SecretTensor Silu(SecretTensor x)
    {
        using var scope = Scope("silu");
        x = AtFracBits(x);
        var terms = SiluTerms(AsPair(x), FracBits);
        var y = Finish(terms[0]);
        return T(x.Shape, FracBits, terms.Length == 1 ? y : y.Sub(Finish(terms[1])), pair: true);
    }

    /// <summary>
    /// SwiGLU's silu(a)·b (same shapes): a and b may carry a finer scale than f (matmul outputs left untruncated: their
    /// truncations are folded into the openings). silu(a) comes pending its truncation, which folds into the opening of
    /// the one product by b; then one truncation: a round fewer than silu followed by a product, two fewer with
    /// untruncated inputs.
    /// </summary>
    public SecretTensor SiluMul(SecretTensor a, SecretTensor b)
    {
        using var scope = Scope("silu");
        if (!Shapes.SameShape(a.Shape, b.Shape)) throw new ArgumentException("silu(a)·b needs a and b of one shape");
        a = AtLeastFracBits(a, GateRangeLog2 + 1);
        b = AtLeastFracBits(b, NonlinearRangeLog2 + 1);
        var terms = SiluTerms(AsPair(a), a.Scale);
        var up = new Pending(AsPair(b), b.Scale - FracBits);
        var prods = Products([.. terms.Select(t => (t, up))]);
        var prod = prods.Length == 1 ? prods[0] : prods[0].Sub(prods[1]);
        return T(a.Shape, FracBits, _pair.Trunc(prod, FracBits), pair: true);
    }

    /// <summary>
    /// SiLU's value relu(x) − h(t) for x at scale <paramref name="sc"/>, pending its truncation to f: relu(x) (exact, at
    /// sc) lifted to the polynomial's raw scale and h(t) formed there, so the two add up before any truncation and a
    /// product by silu(x) opens one operand where relu and h took two. The raw scale is the finest at which relu, below
    /// 2^(gate domain + 1), still fits (2^(60 − G), and not above 2^60); the fit's low coefficients then keep
    /// 60 − G − 40 fractional bits, so a domain above 2^6 (below 14 bits) keeps relu and h apart: then the result is
    /// two terms, silu = relu − h, each pending its truncation to f.
    /// </summary>
    private Pending[] SiluTerms(Share p, int sc)
    {
        var (relu, tc) = SiluInputs(p, sc);
        // v = (t − 4)/8: t − 4 read at scale sc + 3; truncated in its opening, it opens in the bits it reaches.
        var v = AtPolyScale(PairAddPublic(tc, -SiluRange / 2, sc), sc + 3);
        if (v.Bits > 0) v = v with { Width = SiluInputRing(sc) };
        int raw = Math.Min(PolyRawScale, PolyRawScale - GateRangeLog2);
        if (raw - 2 * PolyScale < SiluLowCoefficientBits || raw < sc)
            return [new Pending(relu, sc - FracBits), Poly(v, Approximations.SiluTail, 0.5, FracBits)];
        var lifted = relu.Scale(1UL << (raw - sc));
        var hRaw = Poly(v, Approximations.SiluTail, 0.5, FracBits, raw);
        return [new Pending(lifted.Sub(hRaw.Raw), raw - FracBits)];
    }

    /// <summary>The ring SiLU's t = min(|x|, 8) at raw scale sc must be right in: v = (t − 4)/8, |t − 4| ≤ 4.125
    /// (the clamp tests' slack) below 2^(sc + 3) raw, opens in sc + 5 bits when its opening truncates it (sc + 3 &gt; 20,
    /// inputs at 2f); an exact operand (sc + 3 ≤ 20) opens in the full ring.</summary>
    private static int SiluInputRing(int sc) => sc + 3 > PolyScale ? RingFor(sc + 3 + 2) : 64;

    /// <summary>Fractional bits the SiLU fit's coefficients of degree 2 and 3 keep at the shared raw scale: 14 leaves a
    /// rounding of 2^-15·(|v|² + |v|³) ≤ 1.2e-5 (|v| ≤ 1/2), below the output's 2^-16.</summary>
    private const int SiluLowCoefficientBits = 14;

    /// <summary>relu(x) (exact, at sc) and t = min(|x|, 8) (at sc) from one fused sign batch, each test on the bits its
    /// answer needs. The sign test may answer either way for |x| &lt; 2^-8 (<see cref="SiluSignResolutionLog2"/>): a
    /// wrong sign gives relu(x) − h(|x|) as x − h(x) or −h(−x), both silu(x) exactly, with the fit read at t = −|x|, just
    /// outside [0, 8] (max |p(t) − h(t)| on t ∈ [−2^-8, 0] is 3.9e-5, against 3.1e-5 at the sign tests' usual 2^-14),
    /// for 6 per-bit elements fewer. The tests against ±8 may answer either way within 2^-3 of ±8
    /// (<see cref="SiluClampResolutionLog2"/>): t is then min(|x|, 8) or |x| up to 8.125, where the fit stays within
    /// 2.7e-3 of h (the clamp's error beyond 8 is 3.3e-3 anyway), for 2 per-bit elements fewer each than at 2^-5
    /// (11 of 24 bits compared at f = 16 on a domain of 2^6).</summary>
    /// <remarks>On a gate domain of at most 2^3 (|x| &lt; 8: <see cref="MinGateRangeLog2"/>) min(|x|, 8) is |x|, so the
    /// sign test alone runs: about two thirds of the per-bit elements fewer.</remarks>
    private (Share Relu, Share T) SiluInputs(Share p, int sc)
    {
        int n = p.Length;
        int k = WidthAt(GateRangeLog2 + 1, sc), drop = Math.Max(0, sc + SiluSignResolutionLog2);
        if (GateRangeLog2 <= MinGateRangeLog2)
        {
            var (_, neg) = _cmp.SignOfShifted(p, k, Identity(n), new ulong[n], [(n, drop)]);
            return (p.Sub(neg), p.Sub(neg.Scale(2)));                                            // relu(x), |x| at sc
        }
        // The tests of x − 8 and x + 8 take x's mask (MaskedComparison.SignOfShifted): x opens once, for the products.
        var idx = new int[3 * n];
        var shifts = new ulong[3 * n];
        for (int i = 0; i < 3 * n; i++) idx[i] = i % n;
        Array.Fill(shifts, FixedPointEncoding.Encode(-SiluRange, sc), n, n);
        Array.Fill(shifts, FixedPointEncoding.Encode(SiluRange, sc), 2 * n, n);
        int clampDrop = Math.Min(k - 1, Math.Max(drop, sc + SiluClampResolutionLog2));
        // The tests against ±8 enter t alone, wanted only in the ring its polynomial opens it in (SiluInputRing).
        var (bits, prods) = _cmp.SignOfShifted(p, k, idx, shifts, [(n, drop), (2 * n, clampDrop)], [64, SiluInputRing(sc)]);
        var belowHi = bits.Slice(n, n);
        var belowLo = bits.Slice(2 * n, n);
        var xNeg = prods.Slice(0, n);
        var absInside = prods.Slice(n, n).Add(prods.Slice(2 * n, n)).Sub(xNeg.Scale(2));   // |x|·[|x| < 8]
        var outside = _pair.AddPublic(belowLo.Sub(belowHi), Fill(n, 1));                       // [|x| >= 8]
        var tc = absInside.Add(outside.Scale(FixedPointEncoding.Encode(SiluRange, sc)));       // min(|x|, 8) at sc
        return (p.Sub(xNeg), tc);
    }

    /// <summary>Resolution of SiLU's sign test (see <see cref="SiluInputs"/>).</summary>
    private const int SiluSignResolutionLog2 = -8;

    /// <summary>Resolution of SiLU's tests against ±8 (see <see cref="SiluInputs"/>).</summary>
    private const int SiluClampResolutionLog2 = -3;

    /// <summary>
    /// Softmax along the last axis, for scores |x| &lt; 2^20. <paramref name="valid"/> (public, broadcast to x's shape by
    /// <paramref name="validShape"/>) marks positions that take part; the others get probability 0. Max by the
    /// helper tournament on coarse keys (a shift m within 0.25 below the maximum, <see cref="ShiftResolutionLog2"/>), exp of
    /// x − m (&lt;= 0.25), row sums (still pending their truncation), one reciprocal per row on
    /// [1, n], one product.
    /// </summary>
    public SecretTensor Softmax(SecretTensor x, ReadOnlySpan<bool> valid = default, int[]? validShape = null)
    {
        using var scope = Scope("softmax");
        var (ev, r, back, rowOf) = SoftmaxParts(ref x, valid, validShape);
        var pv = Products((ev, new Pending(r.Raw.Gather(rowOf), r.Bits)))[0];
        return T(x.Shape, FracBits, _pair.Trunc(pv, ReciprocalScale(0)).GatherOrZero(back), pair: true);
    }

    /// <summary>
    /// softmax(x)·V for scores x [batch, m, n] and the growing matrix V [batch, n, cols] (attention's probabilities
    /// times its values): <see cref="SoftmaxThen"/> with the product by V.
    /// </summary>
    public SecretTensor SoftmaxTimes(SecretTensor x, GrowingMatrix values, ReadOnlySpan<bool> valid = default, int[]? validShape = null)
    {
        if (x.Rank != 3 || values.Value.Rank != 3 || x.Shape[0] != values.Value.Shape[0] || x.Shape[2] != values.Value.Shape[1])
            throw new ArgumentException($"scores [batch, m, n] need values [batch, n, cols]; got [{string.Join(", ", x.Shape)}] and [{string.Join(", ", values.Value.Shape)}]");
        // The masked probabilities are exact zeros (gathered as zeros), so their Beaver openings are skipped: about half
        // of a causal prefill's scores.
        bool[]? zeros = null;
        if (!valid.IsEmpty)
        {
            var idx = Shapes.BroadcastIndex(validShape ?? [valid.Length], x.Shape);
            zeros = new bool[x.Length];
            for (int i = 0; i < idx.Length; i++) zeros[i] = !valid[idx[i]];
        }
        return SoftmaxThen(x, e => MatMul(e, values, truncate: false, zeros: zeros), valid, validShape);
    }

    /// <summary>
    /// L(softmax(x)) for a map L that is linear within each row of x and keeps the rows (row i of its result depends
    /// on row i of its argument only; the probabilities times the values, or scattered first): computed as
    /// L(e)·(1/Σe), the exponentials e truncated to f and each output row times its row's reciprocal. The same value
    /// within the same error, but the reciprocal's product runs on L's outputs instead of the n probabilities of a
    /// row: per score, e's truncation (one word at P0) replaces the product's two openings and its truncation's (three),
    /// and the helper deals no product material, in the same rounds. L may leave its result untruncated (at 2f: its
    /// truncation folds into the reciprocal's product).
    /// </summary>
    public SecretTensor SoftmaxThen(SecretTensor x, Func<SecretTensor, SecretTensor> rowLinear, ReadOnlySpan<bool> valid = default, int[]? validShape = null)
    {
        using var scope = Scope("softmax");
        var (ev, r, back, _) = SoftmaxParts(ref x, valid, validShape);
        int rows = x.Length / x.LastDim;
        var y = rowLinear(T(x.Shape, FracBits, _pair.Trunc(ev.Raw, ev.Bits).GatherOrZero(back), pair: true));
        int cols = y.LastDim;
        if (y.Length != rows * cols || y.Scale < FracBits)
            throw new ArgumentException($"the map must keep the {rows} rows of the scores at scale f or finer; it returned [{string.Join(", ", y.Shape)}] at scale {y.Scale}");
        var rowOf = Enumerable.Range(0, rows * cols).Select(i => i / cols).ToArray();
        var prod = Products((new Pending(AsPair(y), y.Scale - FracBits), new Pending(r.Raw.Gather(rowOf), r.Bits)))[0];
        return T(y.Shape, FracBits, _pair.Trunc(prod, ReciprocalScale(0)), pair: true);
    }

    /// <summary>Softmax up to its last product: e^(x − m) on the valid entries (pending its truncation to f), the
    /// reciprocal of each row's sum (pending, at the reciprocal's scale), the map from x's positions to the valid
    /// entries (−1: masked) and each valid entry's row.</summary>
    private (Pending Exp, Pending Reciprocal, int[] Back, int[] RowOf) SoftmaxParts(ref SecretTensor x, ReadOnlySpan<bool> valid, int[]? validShape)
    {
        // Scores may come untruncated (a product at scale 2f): the scale is dropped inside exp's first product.
        x = AtLeastFracBits(x, ScoreRangeLog2 + 7);
        int n = x.LastDim, rows = x.Length / Math.Max(1, n), sc = x.Scale;
        int diffBits = ScoreRangeLog2 + 1 + sc;                   // scores below 2^B differ by less than 2^(B + 1)
        int coarse = ShiftCoarseness(sc, n);
        // The shift is wanted only in the ring exp opens x − m in, so the tournament opens its members there too; x is
        // read in it only (x − m and the maximum's openings), so x need be right in it only (SoftmaxInputRing).
        int ring = Math.Max(MaxRing(diffBits, coarse), ExpInputRing(sc, ScoreRangeLog2));
        var xp = AsPairInRing(x, ring);
        ulong[]? keep = null;
        if (!valid.IsEmpty)
        {
            var idx = Shapes.BroadcastIndex(validShape ?? [valid.Length], x.Shape);
            keep = new ulong[x.Length];
            var low = new ulong[x.Length];
            ulong big = FixedPointEncoding.Encode(MaskedScore, sc);
            for (int i = 0; i < idx.Length; i++) { keep[i] = valid[idx[i]] ? 1UL : 0; low[i] = valid[idx[i]] ? 0 : big; }
            xp = _pair.AddPublic(xp.MulPublic(keep), low);
        }
        Share max;
        using (Scope("max"))
        {
            max = keep is not null && ChunkedMaxPays(keep, n) ? MaxOfValid(xp, keep, n, sc, diffBits, coarse, ring) : MaxPair(xp, rows, n, diffBits, coarse, ring: ring);
        }
        int hi = 1;
        while ((1 << hi) <= n) hi++;
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
        Pending ev, r;
        using (Scope("exp"))
            ev = ExpPair(xp.Gather([.. positions]).Sub(max.Gather(rowOf)), sc, Approximations.ExpToQuarter, ScoreRangeLog2);
        var sum = new Pending(ev.Raw.GatherOrZero(back).Map(rows, (s, d) => Kernels.Ring.RingOps.RowSums(s, n, d)), ev.Bits);
        using (Scope("reciprocal"))
            r = ReciprocalPair(sum, 0, hi + 1);
        return (ev, r, back, rowOf);
    }

    /// <summary>The ring softmax (<see cref="Softmax"/>, <see cref="SoftmaxThen"/>) reads scores at raw scale
    /// <paramref name="scale"/> in: at most that of its maximum's keys and of exp's input (<see cref="ExpInputRing"/>),
    /// 64 where the scores are truncated to f first. Scores right only modulo 2^ring (<see cref="SecretTensor.Ring"/>,
    /// a selection tournament's carried scores) are accepted down to it.</summary>
    public int SoftmaxInputRing(int scale) =>
        scale < FracBits || ScoreRangeLog2 + 7 + scale + 2 > FullWidth ? 64
            : Math.Max(MaxRing(ScoreRangeLog2 + 1 + scale, 1), ExpInputRing(scale, ScoreRangeLog2));

    /// <summary>
    /// Softmax's shift need not be the maximum: any m ≤ max with max − m small keeps e^(x − m) inside exp's domain
    /// [−16, 5] and the row sums inside the reciprocal's [1, 2n). The tournament therefore compares coarse keys,
    /// ⌊x · 2^6⌋ up to a carry (<see cref="Circuits.PermutedTournament.Level"/>): m is a score within 2^-5 per level of
    /// the maximum, within 0.25 for rows of up to 2^14 (at most 8 levels with the chunked causal max), so x − m ≤ 0.25
    /// and the row sum is below 1.29 n. The keys lose sc − 7 bits (25 at f = 16 on untruncated scores): the tournament's
    /// per-bit vectors, most of its bytes and compute, shrink by about 45%.
    /// </summary>
    private const int ShiftResolutionLog2 = 6;

    /// <summary>The low bits softmax's tournament ignores for rows of n scores at raw scale sc. At most Levels(n, 4) + 2
    /// levels (groups of 4 bound every schedule; the causal chunks add up to two): past 8, each doubling of the levels
    /// costs one bit of resolution, so the shift stays within 0.25 of the maximum.</summary>
    private static int ShiftCoarseness(int sc, int n) => Math.Max(0, sc - ShiftResolutionLog2 - CeilLog2((Levels(n, 4) + 2 + 7) / 8));

    /// <summary>Softmax's shift for the rows of x [..., n] with no mask (tests): a member of each row within 0.25 of its
    /// maximum, never above it.</summary>
    internal SecretTensor SoftmaxShift(SecretTensor x)
    {
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        return T(x.Shape[..^1], x.Scale, MaxPair(AsPair(x), rows, n, ScoreRangeLog2 + 1 + x.Scale, ShiftCoarseness(x.Scale, n)), pair: true);
    }

    /// <summary>The value a masked score takes before the maximum, −2^<see cref="MpcOptions.ScoreRangeLog2"/> (never
    /// the maximum of a row with a valid entry, and at least 2^(B−1) + 16 below every valid score of a model whose
    /// bound leaves a factor 2 of room: its e^(x − m) clamps to 0).</summary>
    public double MaskedScore => -(double)(1L << ScoreRangeLog2);

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
    /// each row's valid entries in chunks of <see cref="MaxChunk"/>, then the chunk maxima of each row (padded with
    /// −2^20, like masked entries). About half the comparisons of a whole-row tournament under a causal mask, with the
    /// same maximum.
    /// </summary>
    private Share MaxOfValid(Share x, ulong[] keep, int n, int scale, int diffBits, int coarse, int ring = 64)
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
        // Pairwise within the chunks: four levels of one comparison per two members (about 0.9 comparisons per score
        // in all) instead of two levels of groups of 4 (1.9), for six rounds more per softmax; the levels stay within
        // ShiftCoarseness's bound (4 + Levels(n/16, 4) = Levels(n, 4) + 2).
        var chunkMax = MaxPair(GatherOrLow(x, [.. first], scale), first.Count / MaxChunk, MaxChunk, diffBits, coarse, pairwise: true, ring: ring);
        int chunksWide = chunks.Max();
        var second = new int[rows * chunksWide];
        for (int r = 0, start = 0; r < rows; start += chunks[r], r++)
            for (int j = 0; j < chunksWide; j++) second[r * chunksWide + j] = j < chunks[r] ? start + j : -1;
        return MaxPair(GatherOrLow(chunkMax, second, scale), rows, chunksWide, diffBits, coarse, ring: ring);
    }

    /// <summary>A gather by public indices with −2^20 (a masked entry's value, never the maximum) where the index is −1.</summary>
    private Share GatherOrLow(Share x, int[] indices, int scale)
    {
        ulong low = FixedPointEncoding.Encode(MaskedScore, scale);
        return _pair.AddPublic(x.GatherOrZero(indices), indices.Select(i => i < 0 ? low : 0).ToArray());
    }
}
