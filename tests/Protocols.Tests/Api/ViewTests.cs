using System.Collections.Concurrent;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>
/// What a single party receives during an op must look like uniform noise whatever the secret: the byte
/// histogram of everything it receives over many runs passes a chi-square test against uniform, and the
/// histograms for two different secret inputs pass a two-sample test against each other. The helper gates' per-bit
/// vectors and bit shares travel packed; the channel reports them decoded, as elements of Z_p, and those are tested
/// per prime: uniform over the nonzero elements, with at most one zero per comparison.
/// </summary>
public class ViewTests
{
    /// <summary>Chi-square critical value for 255 degrees of freedom at p = 5e-5 (Wilson-Hilferty).</summary>
    private const double Critical = 352;
    private const int Runs = 12;

    /// <summary>Chi-square critical value at p = 5e-5 for <paramref name="dof"/> degrees of freedom (Wilson-Hilferty).</summary>
    private static double CriticalFor(int dof)
    {
        double a = 2.0 / (9 * dof);
        return dof * Math.Pow(1 - a + 3.89 * Math.Sqrt(a), 3);
    }

    /// <summary>What one party receives while <see cref="On"/>: ring bytes, and field elements per prime.</summary>
    private sealed class Recorder : IReceiveObserver
    {
        public readonly long[] Histogram = new long[256];
        public readonly Dictionary<int, long[]> Elements = [];
        public void Bytes(int fromParty, ReadOnlySpan<byte> payload)
        {
            foreach (var b in payload) Histogram[b]++;
        }
        public void FieldElements(int fromParty, ReadOnlySpan<byte> elements, int prime)
        {
            if (!Elements.TryGetValue(prime, out var h)) Elements[prime] = h = new long[prime];
            foreach (var e in elements) h[e]++;
        }
    }

    /// <summary>Histograms of what P0, P1 and P2 receive during <paramref name="op"/> over <see cref="Runs"/> sessions.</summary>
    private static Recorder[] Views(SchemeKind scheme, double[] secret, int[] shape, Func<MpcContext, SecretTensor, SecretTensor> op, MpcOptions? options = null)
    {
        var totals = new[] { new Recorder(), new Recorder(), new Recorder() };
        for (int run = 0; run < Runs; run++)
        {
            var recorders = new ConcurrentDictionary<int, Recorder>();
            InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
            {
                var x = ctx.Input(PartyIds.Client, shape, secret);
                var rec = recorders[ctx.PartyId] = new Recorder();
                ctx.Channel.Observer = rec;
                op(ctx, x);
                ctx.Channel.Observer = null;
                return 0;
            }, options);
            for (int p = 0; p < 3; p++)
            {
                for (int b = 0; b < 256; b++) totals[p].Histogram[b] += recorders[p].Histogram[b];
                foreach (var (prime, h) in recorders[p].Elements)
                {
                    if (!totals[p].Elements.TryGetValue(prime, out var t)) totals[p].Elements[prime] = t = new long[prime];
                    for (int e = 0; e < prime; e++) t[e] += h[e];
                }
            }
        }
        return totals;
    }

    private static double ChiSquareUniform(long[] h)
    {
        double total = h.Sum(), e = total / h.Length;
        return h.Sum(c => (c - e) * (c - e) / e);
    }

    private static double ChiSquareTwoSample(long[] a, long[] b)
    {
        double na = a.Sum(), nb = b.Sum();
        double ka = Math.Sqrt(nb / na), kb = Math.Sqrt(na / nb), s = 0;
        for (int i = 0; i < a.Length; i++)
            if (a[i] + b[i] > 0) s += Math.Pow(ka * a[i] - kb * b[i], 2) / (a[i] + b[i]);
        return s;
    }

    /// <summary>Tests one party's ring bytes; 1 when there was something to test.</summary>
    private static int CheckBytes(long[] a, long[] b, string who)
    {
        // A party that receives nothing during the op (the helper in a fixed-point product) has nothing to learn.
        if (a.Sum() == 0 && b.Sum() == 0) return 0;
        Assert.True(a.Sum() > 10_000, $"{who} received too little to test ({a.Sum()} B)");
        double ua = ChiSquareUniform(a), ub = ChiSquareUniform(b);
        Assert.True(ua < Critical && ub < Critical, $"{who} view not uniform (chi2 {ua:F0}, {ub:F0})");
        double two = ChiSquareTwoSample(a, b);
        Assert.True(two < Critical, $"{who} view depends on the secret (chi2 {two:F0})");
        return 1;
    }

    /// <summary>Tests one party's field elements, per prime: the nonzero ones uniform over Z_p* for both secrets and
    /// alike across them, zeros at most one per comparison (a comparison has at least (p − 1)/2 entries). Primes with
    /// too few elements for the test (under 20 per class) have their zeros checked only. Returns the primes tested.</summary>
    private static int CheckElements(Recorder a, Recorder b, string who)
    {
        int tested = 0;
        Assert.Equal(a.Elements.Keys.Order(), b.Elements.Keys.Order());
        foreach (var (prime, ha) in a.Elements)
        {
            var hb = b.Elements[prime];
            foreach (var h in new[] { ha, hb })
                Assert.True(h[0] <= 2 * h.Sum() / (prime - 1), $"{who} (Z_{prime}): too many zero entries ({h[0]} of {h.Sum()})");
            var na = ha[1..];
            var nb = hb[1..];
            if (Math.Min(na.Sum(), nb.Sum()) < 20 * (prime - 1)) continue;
            double crit = CriticalFor(prime - 2), ua = ChiSquareUniform(na), ub = ChiSquareUniform(nb);
            Assert.True(ua < crit && ub < crit, $"{who} (Z_{prime}): nonzero elements not uniform (chi2 {ua:F0}, {ub:F0}; critical {crit:F0})");
            double two = ChiSquareTwoSample(na, nb);
            Assert.True(two < crit, $"{who} (Z_{prime}): the elements depend on the secret (chi2 {two:F0})");
            tested++;
        }
        return tested;
    }

    private static void AssertIndistinguishable(SchemeKind scheme, int[] shape, Func<MpcContext, SecretTensor, SecretTensor> op, string name,
        MpcOptions? options = null)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var first = Enumerable.Repeat(3.0, n).ToArray();
        var second = Harness.Uniform(new Random(7), n, -8, 8);
        var va = Views(scheme, first, shape, op, options);
        var vb = Views(scheme, second, shape, op, options);
        int tested = 0, testedElements = 0;
        for (int p = 0; p < 3; p++)
        {
            tested += CheckBytes(va[p].Histogram, vb[p].Histogram, $"{scheme} {name}: P{p}");
            // Field elements: the helper's bit shares at P1 (uniform) and the per-bit vectors at P2 (uniform over the
            // nonzero elements apart from at most one zero per comparison, whose presence is a uniform bit).
            testedElements += CheckElements(va[p], vb[p], $"{scheme} {name}: P{p}");
            if (scheme == SchemeKind.TwoPcDealer && p == 2)
                Assert.True(va[p].Histogram.Sum() + vb[p].Histogram.Sum() == 0, $"{name}: the dealer received something other than per-bit vectors");
        }
        Assert.True(tested >= 2, $"{name}: only {tested} parties received anything");
        // An op with comparisons has its per-bit vectors (at the helper) and bit shares (at P1) tested, not only counted.
        if (va.Any(r => r.Elements.Count > 0))
            Assert.True(testedElements >= 2, $"{name}: field elements tested for {testedElements} party and prime pairs only");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Multiply_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [512], (c, x) => c.Mul(x, x), "mul");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Matmul_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [16, 32], (c, x) => c.MatMul(x, c.Transpose(x)), "matmul");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Growing_matrix_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [4, 32, 8], (c, x) =>
        {
            // Grown in two steps (the second appends one row, as a decode step does), then used on both sides.
            var g = c.Grow(c.Grow(null, c.Slice(x, 1, 0, 31)), c.Slice(x, 1, 31, 1));
            var q = c.Slice(x, 1, 0, 2);
            return c.MatMul(c.MatMul(q, g, transposeB: true), g);
        }, "growing matmul");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Comparison_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [512], (c, x) => c.LessThanZero(x), "compare");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [4, 24], (c, x) => c.Softmax(x), "softmax");

    /// <summary>The roles rotated (P0 helping, then P1) and a 2-out-of-2 result adopted across a change of roles, as a
    /// model's blocks of layers do: every party's view, the new helpers' included, stays uniform.</summary>
    [Fact]
    public void Views_under_rotated_roles_and_across_an_adoption_are_uniform_and_independent_of_the_secret() =>
        AssertIndistinguishable(SchemeKind.ThreePc, [4, 24], (c, x) =>
        {
            SecretTensor y;
            using (c.HelperRoles(1)) y = c.Softmax(x);
            using (c.HelperRoles(2)) return c.Mul(c.Adopt(y), x);
        }, "softmax under P0 helping, then a product under P1 helping");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_times_values_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [4, 24, 24], (c, x) =>
        {
            // Scores and values both from the secret: a causal block of attention, softmax·V as (e·V)·(1/Σe).
            var valid = Enumerable.Range(0, 24 * 24).Select(i => i % 24 <= i / 24).ToArray();
            return c.SoftmaxTimes(x, c.Grow(null, x), valid, [24, 24]);
        }, "softmax·V");

    /// <summary>Narrowed domains (a model's bounds) change the comparisons' widths and primes, not what a party sees.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Softmax_and_silu_views_on_narrow_domains_are_uniform_and_independent_of_the_secret(SchemeKind scheme)
    {
        var narrow = new MpcOptions { ScoreRangeLog2 = 6, GateRangeLog2 = 6 };
        AssertIndistinguishable(scheme, [4, 24], (c, x) => c.Softmax(x), "softmax 2^6", narrow);
        AssertIndistinguishable(scheme, [512], (c, x) => c.SiluMul(x, x), "silu·x 2^6", narrow);
        AssertIndistinguishable(scheme, [512], (c, x) => c.SiluMul(x, x), "silu·x 2^3 (sign test alone)", new MpcOptions { GateRangeLog2 = MpcContext.MinGateRangeLog2 });
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Max_tournament_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [16, 64], (c, x) => c.Max(x), "max");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Argmax_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [16, 64], (c, x) => c.ArgMax(x), "argmax");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Argmax_with_a_payload_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [16, 64], (c, x) => c.ArgMaxWithPayload(x, c.Reshape(x, 16, 64, 1)).Winner, "argmax");

    /// <summary>Keys and payloads opened in narrow rings (whole bytes of uniform words) and the helper's masks in them.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Argmax_with_narrow_payloads_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [16, 64], (c, x) => c.ArgMaxWithPayloads(x, [c.Reshape(x, 16, 64, 1), c.Reshape(x, 16, 64, 1)], [48, 40], boundLog2: 8).OneHot,
            "argmax, narrow payloads");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Silu_times_a_value_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [512], (c, x) => c.SiluMul(x, x), "silu·x");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Rms_scaling_view_is_uniform_and_independent_of_the_secret(SchemeKind scheme) =>
        AssertIndistinguishable(scheme, [16, 32], (c, x) => c.MulRsqrt(x, c.AddPublic(c.Sum(c.MulExact(x, x), keepDim: true), 1)), "x·rsqrt(Σx²)");

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Reveal_to_the_client_reaches_the_client_only(SchemeKind scheme)
    {
        var res = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [8], Enumerable.Range(0, 8).Select(i => (double)i).ToArray());
            var before = ctx.Channel.Total;
            var r = ctx.Reveal(x, PartyIds.Client);
            return (r, ctx.Channel.Total - before);
        });
        for (int p = 0; p < 3; p++)
        {
            Assert.Null(res[p].r);
            Assert.Equal(0, res[p].Item2.BytesReceived);
        }
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (double)i).ToArray(), res[3].r);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Reveal_to_a_compute_party_reaches_that_party_only(SchemeKind scheme)
    {
        var res = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [4], [1.5, -2, 3, 0]);
            var before = ctx.Channel.Total;
            var r = ctx.Reveal(x, PartyIds.P1);
            return (r, ctx.Channel.Total - before);
        });
        Assert.Equal(new[] { 1.5, -2, 3, 0 }, res[1].r);
        foreach (var p in new[] { 0, 2, 3 })
        {
            Assert.Null(res[p].r);
            Assert.Equal(0, res[p].Item2.BytesReceived);
        }
    }
}
