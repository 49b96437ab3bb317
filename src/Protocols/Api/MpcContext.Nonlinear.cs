using PrivateInference.Protocols.Core;
using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    /// <summary>Squarings in exp's range reduction: e^x = (e^(x/2^7))^(2^7).</summary>
    public const int ExpSquarings = 7;
    /// <summary>Inputs below this are clamped to it in <see cref="Exp"/> (e^-16 is below 2^-16 anyway).</summary>
    public const double ExpClamp = -16;
    public const int ReciprocalIterations = 3;
    public const int RsqrtIterations = 3;

    private SecretTensor AtFracBits(SecretTensor x) => x.Scale == FracBits ? x : Rescale(x, FracBits);

    private Share PublicConst(int n, double value, int scale) => Constant(n, FixedPointEncoding.Encode(value, scale));

    /// <summary>
    /// e^x for x &lt;= 5 (inputs below -16 are treated as -16). x is clamped by one comparison, read as
    /// y = x / 2^7 at scale f + 7 for free, e^y is a degree-4 Taylor polynomial at that scale (|y| &lt;= 1/8,
    /// remainder &lt;= 2.6e-7 relative), then squared seven times; the last squaring truncates straight to f.
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
        var y = xc;
        var y2 = _scheme.MulTrunc(y, y, s);
        var y34 = _scheme.MulTrunc(Share.Concat(y2, y2), Share.Concat(y, y2), s);
        var y3 = y34.Slice(0, n);
        var y4 = y34.Slice(n, n);
        ulong one = 1UL << s;
        var acc = y.Scale(one)
            .Add(y2.Scale(FixedPointEncoding.Encode(1.0 / 2, s)))
            .Add(y3.Scale(FixedPointEncoding.Encode(1.0 / 6, s)))
            .Add(y4.Scale(FixedPointEncoding.Encode(1.0 / 24, s)));
        var p = _scheme.AddPublic(_scheme.Trunc(acc, s), Fill(n, one));
        for (int i = 0; i < ExpSquarings; i++)
            p = _scheme.MulTrunc(p, p, i == ExpSquarings - 1 ? 2 * s - FracBits : s);
        return T(x.Shape, FracBits, p);
    }

    /// <summary>Scale used for 1/x on [2^lo, 2^hi): as fine as the products allow (y (2 - xy) must stay below 2^62).</summary>
    private static int ReciprocalScale(int minLog2) => Math.Min(28, (60 + minLog2) / 2);

    /// <summary>
    /// 1/x for x in [2^minLog2, 2^maxLog2). The binade of x comes from one batched comparison against the powers
    /// of two inside the range (no comparisons when the range is one binade); the start 2/3 * 2^-k puts the Newton
    /// error |1 - x y| at most 1/3, and three iterations y = y (2 - x y) take it to 1.5e-4. The result carries
    /// scale min(28, (60 + minLog2) / 2), so small reciprocals keep their relative precision.
    /// </summary>
    public SecretTensor Reciprocal(SecretTensor x, int minLog2 = 0, int maxLog2 = 16)
    {
        using var scope = Scope("reciprocal");
        x = AtFracBits(x);
        int sy = ReciprocalScale(minLog2);
        var y = BinadeStart(x, minLog2, maxLog2, sy, k => 2.0 / 3 * Math.Pow(2, -k));
        int n = x.Length;
        for (int it = 0; it < ReciprocalIterations; it++)
        {
            var t = _scheme.MulTrunc(x.Data, y, FracBits);                // x y at scale sy
            var u = _scheme.AddPublic(t.Neg(), Fill(n, 2UL << sy));        // 2 - x y
            y = _scheme.MulTrunc(y, u, sy);
        }
        return T(x.Shape, sy, y);
    }

    /// <summary>
    /// start(k) for x in binade [2^k, 2^(k+1)), as a local linear combination of the comparison bits
    /// l_j = [x &lt; 2^j]: start(hi-1) - sum_j l_j (start(j) - start(j-1)).
    /// </summary>
    private Share BinadeStart(SecretTensor x, int minLog2, int maxLog2, int scale, Func<int, double> start)
    {
        int n = x.Length;
        var acc = PublicConst(n, start(maxLog2 - 1), scale);
        int count = maxLog2 - minLog2 - 1;
        if (count <= 0) return acc;
        var parts = new Share[count];
        for (int j = minLog2 + 1; j < maxLog2; j++)
            parts[j - minLog2 - 1] = _scheme.AddPublic(x.Data, Fill(n, FixedPointEncoding.Encode(-Math.Pow(2, j), FracBits)));
        var below = Msb(Share.Concat(parts));
        for (int j = minLog2 + 1; j < maxLog2; j++)
        {
            ulong delta = FixedPointEncoding.Encode(start(j) - start(j - 1), scale);
            acc = acc.Sub(below.Slice((j - minLog2 - 1) * n, n).Scale(delta));
        }
        return acc;
    }

    /// <summary>
    /// 1/sqrt(x) for x in [2^minLog2, 2^maxLog2): binade start sqrt(2/3) 2^(-k/2) (Newton error |1 - x y^2| &lt;= 1/3),
    /// then three iterations y = y (3 - x y^2) / 2 (relative error ~2e-5). Result at scale min(24, (59 + minLog2) / 2).
    /// </summary>
    public SecretTensor Rsqrt(SecretTensor x, int minLog2 = -10, int maxLog2 = 14)
    {
        using var scope = Scope("rsqrt");
        x = AtFracBits(x);
        int sy = Math.Min(24, (59 + minLog2) / 2);
        var y = BinadeStart(x, minLog2, maxLog2, sy, k => Math.Sqrt(2.0 / 3) * Math.Pow(2, -k / 2.0));
        int n = x.Length;
        for (int it = 0; it < RsqrtIterations; it++)
        {
            var y2 = _scheme.MulTrunc(y, y, sy);
            var t = _scheme.MulTrunc(x.Data, y2, FracBits);
            var u = _scheme.AddPublic(t.Neg(), Fill(n, 3UL << sy));
            y = _scheme.MulTrunc(y, u, sy + 1);
        }
        return T(x.Shape, sy, y);
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

    /// <summary>SiLU x * sigmoid(x).</summary>
    public SecretTensor Silu(SecretTensor x)
    {
        using var scope = Scope("silu");
        x = AtFracBits(x);
        return Mul(x, Sigmoid(x));
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
        var max = T(x.Shape[..^1].Concat(new[] { 1 }).ToArray(), x.Scale, MaxTree(xm).Max);
        var e = Exp(Sub(xm, max));
        if (keep is not null) e = T(e.Shape, e.Scale, e.Data.MulPublic(keep));
        var sum = Sum(e);
        int hi = 1;
        while ((1 << hi) <= n) hi++;
        var r = Reciprocal(sum, 0, hi + 1);
        return Mul(e, Reshape(r, x.Shape[..^1].Concat(new[] { 1 }).ToArray()));
    }
}
