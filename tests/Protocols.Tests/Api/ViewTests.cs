using System.Collections.Concurrent;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>
/// What a single party receives during an op must look like uniform noise whatever the secret: the byte
/// histogram of everything it receives over many runs passes a chi-square test against uniform, and the
/// histograms for two different secret inputs pass a two-sample test against each other.
/// </summary>
public class ViewTests
{
    /// <summary>Chi-square critical value for 255 degrees of freedom at p = 5e-5 (Wilson-Hilferty).</summary>
    private const double Critical = 352;
    /// <summary>The same for 65 degrees of freedom (the nonzero elements of Z_67).</summary>
    private const double CriticalDigits = 119;
    private const int P = 67;
    private const int Runs = 12;

    private sealed class Recorder(ITransport inner) : ITransport
    {
        public readonly long[] Histogram = new long[256];
        /// <summary>Messages that are elements of Z_67 (every byte below 67): comparison bit shares and per-bit vectors.</summary>
        public readonly long[] Digits = new long[256];
        public volatile bool On;
        public int PartyId => inner.PartyId;
        public void Send(int toParty, ReadOnlySpan<byte> payload) => inner.Send(toParty, payload);
        public void Receive(int fromParty, Span<byte> destination)
        {
            inner.Receive(fromParty, destination);
            if (!On) return;
            bool digits = destination.Length >= 16;
            foreach (var b in destination) if (b >= P) { digits = false; break; }
            var h = digits ? Digits : Histogram;
            foreach (var b in destination) h[b]++;
        }
        public void Dispose() => inner.Dispose();
    }

    /// <summary>Byte histograms of what P0, P1 and P2 receive during <paramref name="op"/> over <see cref="Runs"/> sessions.</summary>
    private static long[][] Views(SchemeKind scheme, double[] secret, int[] shape, Func<MpcContext, SecretTensor, SecretTensor> op)
    {
        var totals = new long[6][];
        for (int p = 0; p < 6; p++) totals[p] = new long[256];
        for (int run = 0; run < Runs; run++)
        {
            var recorders = new ConcurrentDictionary<int, Recorder>();
            InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
            {
                var x = ctx.Input(PartyIds.Client, shape, secret);
                var rec = recorders[ctx.PartyId];
                rec.On = true;
                op(ctx, x);
                rec.On = false;
                return 0;
            }, wrap: t => recorders[t.PartyId] = new Recorder(t));
            for (int p = 0; p < 3; p++)
                for (int b = 0; b < 256; b++) { totals[p][b] += recorders[p].Histogram[b]; totals[3 + p][b] += recorders[p].Digits[b]; }
        }
        return totals;
    }

    private static double ChiSquareUniform(long[] h)
    {
        double total = h.Sum(), e = total / 256;
        return h.Sum(c => (c - e) * (c - e) / e);
    }

    private static double ChiSquareTwoSample(long[] a, long[] b)
    {
        double na = a.Sum(), nb = b.Sum();
        double ka = Math.Sqrt(nb / na), kb = Math.Sqrt(na / nb), s = 0;
        for (int i = 0; i < 256; i++)
            if (a[i] + b[i] > 0) s += Math.Pow(ka * a[i] - kb * b[i], 2) / (a[i] + b[i]);
        return s;
    }

    /// <summary>Chi-square of the nonzero elements of Z_67 against uniform.</summary>
    private static double ChiSquareDigits(long[] h)
    {
        double total = h.Skip(1).Take(P - 1).Sum(), e = total / (P - 1);
        return h.Skip(1).Take(P - 1).Sum(c => (c - e) * (c - e) / e);
    }

    /// <summary>Tests one party's histogram (ring bytes, or Z_67 elements); 1 when there was something to test.</summary>
    private static int CheckView(long[] a, long[] b, string who, bool ring)
    {
        // A party that receives nothing of a kind during the op (the helper in a fixed-point product) has nothing to learn.
        if (a.Sum() == 0 && b.Sum() == 0) return 0;
        Assert.True(a.Sum() > 10_000, $"{who} received too little to test ({a.Sum()} B)");
        double ua = ring ? ChiSquareUniform(a) : ChiSquareDigits(a), ub = ring ? ChiSquareUniform(b) : ChiSquareDigits(b);
        Assert.True(ua < (ring ? Critical : CriticalDigits) && ub < (ring ? Critical : CriticalDigits), $"{who} view not uniform (chi2 {ua:F0}, {ub:F0})");
        if (!ring) Assert.True(a[0] < a.Sum() / 20.0, $"{who}: too many zero entries ({a[0]} of {a.Sum()})");
        double two = ChiSquareTwoSample(a, b);
        Assert.True(two < Critical, $"{who} view depends on the secret (chi2 {two:F0})");
        return 1;
    }

    private static void AssertIndistinguishable(SchemeKind scheme, int[] shape, Func<MpcContext, SecretTensor, SecretTensor> op, string name)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var first = Enumerable.Repeat(3.0, n).ToArray();
        var second = Harness.Uniform(new Random(7), n, -8, 8);
        var va = Views(scheme, first, shape, op);
        var vb = Views(scheme, second, shape, op);
        int tested = 0;
        for (int p = 0; p < 3; p++)
        {
            tested += CheckView(va[p], vb[p], $"{scheme} {name}: P{p}", ring: true);
            // Elements of Z_67: the helper's bit shares at P1 (uniform) and the per-bit vectors at P2 (uniform over the
            // nonzero elements apart from at most one zero per comparison, whose presence is a uniform bit).
            CheckView(va[3 + p], vb[3 + p], $"{scheme} {name}: P{p} (Z_67)", ring: false);
            if (scheme == SchemeKind.TwoPcDealer && p == 2)
                Assert.True(va[p].Sum() + vb[p].Sum() == 0, $"{name}: the dealer received something other than per-bit vectors");
        }
        Assert.True(tested >= 2, $"{name}: only {tested} parties received anything");
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
