using PrivateInference.Protocols;
using Xunit.Abstractions;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>
/// Approximations against float64 on fresh random inputs, each within the bound docs/protocols.md states.
/// References are evaluated on the fixed-point value the input actually has.
/// </summary>
public class NonlinearTests(ITestOutputHelper output)
{
    private const double Ulp = 1.0 / 65536;

    private void Check(SchemeKind scheme, string name, double[] x, Func<MpcContext, SecretTensor, SecretTensor> op, Func<double, double> reference, double absTol, double relTol,
        MpcOptions? options = null)
    {
        var got = Harness.RunToClient(scheme, ctx => op(ctx, ctx.Input(PartyIds.Client, [x.Length], x)), options);
        var expected = x.Select(v => reference(Harness.Quantize(v))).ToArray();
        double worstAbs = 0, worstRel = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Abs(expected[i] - got[i]);
            worstAbs = Math.Max(worstAbs, e);
            if (expected[i] != 0) worstRel = Math.Max(worstRel, e / Math.Abs(expected[i]));
        }
        output.WriteLine($"{scheme} {name}: max abs err {worstAbs:E2}, max rel err {worstRel:E2}");
        Harness.AssertClose(expected, got, absTol, relTol, $"{scheme} {name}");
    }

    private static double[] Sample(int n, double lo, double hi, params double[] edges) =>
        Harness.Uniform(Harness.FreshRng(), n, lo, hi).Concat(edges).ToArray();

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Exp_relative_error_is_below_1e3_plus_two_ulp_on_minus16_to_0(SchemeKind scheme) =>
        Check(scheme, "exp", Sample(400, -16, 0, -16, 0, -1e-4), (c, t) => c.Exp(t), Math.Exp, 2 * Ulp, 1e-3);

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Exp_relative_error_is_below_1e3_on_0_to_5(SchemeKind scheme) =>
        Check(scheme, "exp positive", Sample(200, 0, 5, 5), (c, t) => c.Exp(t), Math.Exp, 0, 1e-3);

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Exp_clamps_very_negative_inputs_to_nearly_zero(SchemeKind scheme) =>
        Check(scheme, "exp tail", Sample(64, -(double)(1 << 20) + 1, -16), (c, t) => c.Exp(t), _ => 0, 2 * Ulp, 0);

    /// <summary>The clamp's test is exact only for |x + 16| ≥ 1/2: in between either answer must stay within two ulp.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Exp_is_within_two_ulp_around_the_clamp(SchemeKind scheme) =>
        Check(scheme, "exp at the clamp", Sample(400, -16.6, -15.4, -16, -16.5, -15.5), (c, t) => c.Exp(t), Math.Exp, 2 * Ulp, 0);

    /// <summary>Softmax's shift by the coarse tournament: a member of each row, never above the row's maximum and
    /// within 0.25 below it, on rows with near-ties, all-equal rows and the whole score range, across six levels.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_shift_is_a_member_within_a_quarter_below_the_maximum(SchemeKind scheme)
    {
        const int n = 3000;
        var rng = Harness.FreshRng();
        var rows = new List<double[]>
        {
            Harness.Uniform(rng, n, -20, 20),
            Enumerable.Repeat(3.5, n).ToArray(),
            Harness.Uniform(rng, n, -(1 << 19), 1 << 19),
        };
        var close = Harness.Uniform(rng, n, -30, -29);      // many members within 2^-4 of the maximum
        for (int j = 0; j < 200; j++) close[rng.Next(n)] = 7 - j * 1e-4;
        rows.Add(close);
        var x = rows.SelectMany(r => r).ToArray();
        var got = Harness.RunToClient(scheme, ctx => ctx.SoftmaxShift(ctx.Input(PartyIds.Client, [rows.Count, n], x)));
        for (int r = 0; r < rows.Count; r++)
        {
            var q = rows[r].Select(v => Harness.Quantize(v)).ToArray();
            double max = q.Max();
            output.WriteLine($"{scheme} row {r}: max {max}, shift {got[r]} ({max - got[r]:E2} below)");
            Assert.Contains(got[r], q);
            Assert.InRange(max - got[r], 0, 0.25);
        }
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Reciprocal_relative_error_is_below_1e3_on_1_to_4096(SchemeKind scheme) =>
        Check(scheme, "reciprocal", Sample(400, 1, 4096, 1, 4096, 2, 1024), (c, t) => c.Reciprocal(t), v => 1 / v, 0, 1e-3);

    [Fact]
    public void Reciprocal_of_more_values_than_one_comparison_chunk_holds_runs_in_chunks_and_keeps_its_bound()
    {
        // 63 sub-binade tests per value on [1, 2^16): 17,000 values are 1.07 M tests, two comparison chunks. (Unchunked,
        // a batch of 1 M values overflowed the per-bit vectors' arrays.)
        var rng = Harness.FreshRng();
        var x = Enumerable.Range(0, 17_000).Select(_ => Math.Pow(2, 16 * rng.NextDouble())).ToArray();
        Check(SchemeKind.ThreePc, "reciprocal", x, (c, t) => c.Reciprocal(t), v => 1 / v, 0, 1e-3);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Rsqrt_relative_error_is_below_1e3_on_1e3_to_1e4(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        // Log-uniform so every binade of the range is exercised.
        var x = Enumerable.Range(0, 400).Select(_ => Math.Pow(10, -3 + 7 * rng.NextDouble())).Concat([1e-3, 1e4, 1]).ToArray();
        Check(scheme, "rsqrt", x, (c, t) => c.Rsqrt(t), v => 1 / Math.Sqrt(v), 0, 1e-3);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Sigmoid_absolute_error_is_below_1e3_on_minus20_to_20(SchemeKind scheme) =>
        Check(scheme, "sigmoid", Sample(400, -20, 20, 0, -20, 20), (c, t) => c.Sigmoid(t), v => 1 / (1 + Math.Exp(-v)), 1e-3, 0);

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_absolute_error_is_below_1e2_on_minus16_to_16(SchemeKind scheme) =>
        Check(scheme, "silu", Sample(400, -16, 16, 0, -16, 16), (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 1e-2, 0);

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_error_shrinks_with_the_value_near_zero(SchemeKind scheme) =>
        // Bound 6.3e-4 (|x| + 0.05) plus rounding; silu(x) is about x/2 there, hence the relative part. The points
        // within 2^-8 of 0 are where the sign test may answer either way.
        Check(scheme, "silu near zero", Sample(300, -1, 1, 0, 1e-3, -1e-3).Concat(Enumerable.Range(-32, 65).Select(i => i / 8192.0)).ToArray(),
            (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 8e-5, 3e-3);

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_absolute_error_is_below_3p5e3_everywhere(SchemeKind scheme) =>
        Check(scheme, "silu wide", Sample(300, -1e6, 1e6, 0, -8, 8, 8.01, -8.01, -1e6, 1e6).Concat(Sample(300, -9, 9)).ToArray(),
            (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 3.5e-3, 0);

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_with_a_causal_mask_matches_within_1e3(SchemeKind scheme) => CausalSoftmax(scheme, rows: 4, n: 9);

    /// <summary>Half masked and wide enough for the max over valid entries only (chunks of 16, then the chunk maxima).</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_of_a_square_causal_block_matches_within_1e3(SchemeKind scheme) => CausalSoftmax(scheme, rows: 96, n: 96);

    [Fact]
    public void A_causal_mask_spares_the_masked_half_of_exp_max_and_the_product()
    {
        const int n = 96;
        var valid = new bool[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) valid[i * n + j] = true;
        long Bytes(bool masked) => PrivateInference.Protocols.Communication.InProcessSession.Run(SchemeKind.ThreePc,
            PrivateInference.Protocols.Communication.InProcessSession.ComputeAndClient, ctx =>
            {
                var x = ctx.Input(PartyIds.Client, [2, n, n], new double[2 * n * n]);
                var before = ctx.Channel.Total;
                if (masked) ctx.Softmax(x, valid, [n, n]); else ctx.Softmax(x);
                return (ctx.Channel.Total - before).BytesSent;
            })[0];
        double ratio = Bytes(true) / (double)Bytes(false);
        output.WriteLine($"causal / unmasked softmax bytes: {ratio:F3}");
        // Exp and the product alone on valid entries give 0.64 (measured); the max over valid entries brings it to 0.59.
        Assert.InRange(ratio, 0.4, 0.62);
    }

    /// <summary>softmax(x)·V as (e·V)·(1/Σe) on a causal block: the attention output within 2e-3 of float64.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_times_values_matches_attention_within_2e3(SchemeKind scheme)
    {
        const int rows = 40, n = 48, cols = 5;
        var rng = Harness.FreshRng();
        var x = Harness.Uniform(rng, 2 * rows * n, -8, 8);
        var v = Harness.Uniform(rng, 2 * n * cols, -3, 3);
        var valid = new bool[rows * n];
        for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) valid[i * n + j] = j <= i + n - rows;
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var values = ctx.Grow(null, ctx.Input(PartyIds.Client, [2, n, cols], v));
            return ctx.SoftmaxTimes(ctx.Input(PartyIds.Client, [2, rows, n], x), values, valid, [rows, n]);
        });
        var q = x.Select(t => Harness.Quantize(t)).ToArray();
        var qv = v.Select(t => Harness.Quantize(t)).ToArray();
        var expected = new double[2 * rows * cols];
        for (int r = 0; r < 2 * rows; r++)
        {
            int i = r % rows, b = r / rows;
            double mx = double.NegativeInfinity, s = 0;
            for (int j = 0; j < n; j++) if (valid[i * n + j]) mx = Math.Max(mx, q[r * n + j]);
            for (int j = 0; j < n; j++) if (valid[i * n + j]) s += Math.Exp(q[r * n + j] - mx);
            for (int c = 0; c < cols; c++)
            {
                double acc = 0;
                for (int j = 0; j < n; j++) if (valid[i * n + j]) acc += Math.Exp(q[r * n + j] - mx) / s * qv[(b * n + j) * cols + c];
                expected[r * cols + c] = acc;
            }
        }
        output.WriteLine($"{scheme} softmax·V: max abs err {expected.Zip(got, (e, g) => Math.Abs(e - g)).Max():E2}");
        Harness.AssertClose(expected, got, 2e-3, 0, "softmax·V");
    }

    /// <summary>x·rsqrt(Σx² + 1) on few rows and on many agrees with float64 within 1e-4 absolute (outputs of magnitude
    /// below 1).</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Rms_scaling_matches_within_1e4_on_few_rows_and_on_many(SchemeKind scheme)
    {
        foreach (int rows in new[] { 3, 40 })
        {
            const int d = 24;
            var x = Harness.Uniform(Harness.FreshRng(), rows * d, -6, 6);
            var got = Harness.RunToClient(scheme, ctx =>
            {
                var t = ctx.Input(PartyIds.Client, [rows, d], x);
                return ctx.MulRsqrt(t, ctx.AddPublic(ctx.Sum(ctx.MulExact(t, t), keepDim: true), 1), -4, 12);
            });
            var q = x.Select(v => Harness.Quantize(v)).ToArray();
            var expected = new double[q.Length];
            for (int r = 0; r < rows; r++)
            {
                double ss = 1;
                for (int j = 0; j < d; j++) ss += q[r * d + j] * q[r * d + j];
                for (int j = 0; j < d; j++) expected[r * d + j] = q[r * d + j] / Math.Sqrt(ss);
            }
            output.WriteLine($"{scheme} x·rsqrt, {rows} rows: max abs err {expected.Zip(got, (e, g) => Math.Abs(e - g)).Max():E2}");
            Harness.AssertClose(expected, got, 1e-4, 0, $"x·rsqrt on {rows} rows");
        }
    }

    /// <summary>A session narrowed to its model's domains (scores below 2^6, SiLU inputs below 2^6): softmax on scores
    /// up to the domain's half (a model's bound leaves a factor 2) and SiLU up to it keep their error bounds.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_and_silu_keep_their_bounds_on_the_narrowest_domains(SchemeKind scheme)
    {
        var narrow = new MpcOptions { ScoreRangeLog2 = MpcContext.MinRangeLog2, GateRangeLog2 = MpcContext.MinRangeLog2 };
        CausalSoftmax(scheme, rows: 40, n: 40, bound: 32, narrow);
        Check(scheme, "silu narrow", Sample(400, -63, 63, 0, -8, 8, 8.01, -8.01, -63.9, 63.9), (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 3.5e-3, 0, narrow);
    }

    /// <summary>On a narrow gate domain relu and h add up at one raw scale before any truncation (one operand for
    /// silu(a)·b): near zero the error still shrinks with the value (also where the sign test, exact from 2^-8 on, may
    /// answer either way), and the coarse tests against ±8 (2^-3) keep the bound on either side of the clamp.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_on_a_narrow_domain_keeps_its_bounds_near_zero_and_at_the_clamp(SchemeKind scheme)
    {
        var narrow = new MpcOptions { GateRangeLog2 = MpcContext.MinRangeLog2 };
        // Points within 2^-8 of 0, where the sign test may answer either way, and within 2^-3 of ±8, where the clamp's may.
        var nearZero = Enumerable.Range(-32, 65).Select(i => i / 8192.0);
        Check(scheme, "silu narrow near zero", Sample(300, -1, 1, 0, 1e-3, -1e-3).Concat(nearZero).ToArray(), (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 8e-5, 3e-3, narrow);
        var clamp = Enumerable.Range(-32, 65).SelectMany(i => new[] { 8 + i / 256.0, -8 - i / 256.0 }).ToArray();
        Check(scheme, "silu narrow at ±8", clamp, (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 3.5e-3, 0, narrow);
    }

    /// <summary>On the narrowest gate domain (|x| &lt; 8) SiLU runs its sign test alone (t = |x|): the bounds hold up to
    /// the domain's edge, near zero, and for silu(a)·b; sigmoid, whose exp keeps its clamp test, keeps its bound.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_and_sigmoid_below_the_clamp_keep_their_bounds(SchemeKind scheme)
    {
        var below = new MpcOptions { GateRangeLog2 = MpcContext.MinGateRangeLog2 };
        var nearZero = Enumerable.Range(-32, 65).Select(i => i / 8192.0);
        Check(scheme, "silu below 8 near zero", Sample(300, -1, 1, 0, 1e-3, -1e-3).Concat(nearZero).ToArray(), (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 8e-5, 3e-3, below);
        Check(scheme, "silu below 8", Sample(400, -7.99, 7.99, -7.99, 7.99, 4, -4), (c, t) => c.Silu(t), v => v / (1 + Math.Exp(-v)), 8e-4, 0, below);
        Check(scheme, "silu(x)·x below 8", Sample(400, -7.99, 7.99, 0, 1e-3), (c, t) => c.SiluMul(t, t), v => v * v / (1 + Math.Exp(-v)), 8 * 8e-4, 0, below);
        Check(scheme, "sigmoid below 8", Sample(400, -7.99, 7.99, 0, 1e-3, -1e-3), (c, t) => c.Sigmoid(t), v => 1 / (1 + Math.Exp(-v)), 1e-3, 0, below);
    }

    /// <summary>silu(a)·b with the fused operand on a narrow domain: the error is silu's times |b| plus rounding.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_times_a_value_on_a_narrow_domain_is_silu_times_the_value(SchemeKind scheme)
    {
        var narrow = new MpcOptions { GateRangeLog2 = MpcContext.MinRangeLog2 };
        Check(scheme, "silu(x)·x narrow", Sample(400, -12, 12, 0, -8, 8, 1e-3), (c, t) => c.SiluMul(t, t), v => v * v / (1 + Math.Exp(-v)), 12 * 3.5e-3, 0, narrow);
    }

    /// <summary>The model's silu(a)·b takes a and b at 2f (untruncated matmul outputs): its tests of x ± 8 then share x's
    /// mask and t's polynomial opens its input in a 40-bit ring. The bounds hold near 0, at ±8 and across the domain.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_times_a_value_at_double_scale_keeps_its_bounds(SchemeKind scheme)
    {
        var narrow = new MpcOptions { GateRangeLog2 = MpcContext.MinRangeLog2 };
        var nearZero = Enumerable.Range(-32, 65).Select(i => i / 8192.0);
        var clamp = Enumerable.Range(-32, 65).SelectMany(i => new[] { 8 + i / 256.0, -8 - i / 256.0 });
        SecretTensor AtDoubleScale(MpcContext c, SecretTensor t)
        {
            var at2f = c.MulExact(t, c.Input(PartyIds.Client, [1], [1.0]));
            return c.SiluMul(at2f, at2f);
        }
        double Reference(double v) => v * v / (1 + Math.Exp(-v));
        // silu's error times |b| = |x| (3.5e-3 up to and beyond the clamp) plus the output's rounding (1.5 units of 2^-16).
        Check(scheme, "silu(x)·x at 2f near 0", [.. nearZero, .. Sample(100, -1, 1, 1e-3, -1e-3)], AtDoubleScale, Reference, 4e-5, 3e-3, narrow);
        Check(scheme, "silu(x)·x at 2f at ±8", [.. clamp, 8, -8], AtDoubleScale, Reference, 8.2 * 3.5e-3, 0, narrow);
        Check(scheme, "silu(x)·x at 2f", Sample(300, -40, 40, 0, -8, 8), AtDoubleScale, Reference, 40 * 3.5e-3, 0, narrow);
    }

    private void CausalSoftmax(SchemeKind scheme, int rows, int n, double bound = 8, MpcOptions? options = null)
    {
        var x = Harness.Uniform(Harness.FreshRng(), 2 * rows * n, -bound, bound);
        var valid = new bool[rows * n];
        for (int i = 0; i < rows; i++) for (int j = 0; j < n; j++) valid[i * n + j] = j <= i + n - rows;
        var got = Harness.RunToClient(scheme, ctx => ctx.Softmax(ctx.Input(PartyIds.Client, [2, rows, n], x), valid, [rows, n]), options);
        var q = x.Select(v => Harness.Quantize(v)).ToArray();
        var expected = new double[q.Length];
        for (int r = 0; r < 2 * rows; r++)
        {
            int i = r % rows;
            double mx = double.NegativeInfinity;
            for (int j = 0; j < n; j++) if (valid[i * n + j]) mx = Math.Max(mx, q[r * n + j]);
            double s = 0;
            for (int j = 0; j < n; j++) if (valid[i * n + j]) s += Math.Exp(q[r * n + j] - mx);
            for (int j = 0; j < n; j++) expected[r * n + j] = valid[i * n + j] ? Math.Exp(q[r * n + j] - mx) / s : 0;
        }
        double worst = expected.Zip(got, (e, g) => Math.Abs(e - g)).Max();
        output.WriteLine($"{scheme} softmax: max abs err {worst:E2}");
        Harness.AssertClose(expected, got, 1e-3, 0, "softmax");
    }
}
