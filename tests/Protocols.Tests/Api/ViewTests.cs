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
    private const int Runs = 12;

    private sealed class Recorder(ITransport inner) : ITransport
    {
        public readonly long[] Histogram = new long[256];
        public volatile bool On;
        public int PartyId => inner.PartyId;
        public void Send(int toParty, ReadOnlySpan<byte> payload) => inner.Send(toParty, payload);
        public void Receive(int fromParty, Span<byte> destination)
        {
            inner.Receive(fromParty, destination);
            if (On) foreach (var b in destination) Histogram[b]++;
        }
        public void Dispose() => inner.Dispose();
    }

    /// <summary>Byte histograms of what P0, P1 and P2 receive during <paramref name="op"/> over <see cref="Runs"/> sessions.</summary>
    private static long[][] Views(SchemeKind scheme, double[] secret, int[] shape, Func<MpcContext, SecretTensor, SecretTensor> op)
    {
        var totals = new long[3][];
        for (int p = 0; p < 3; p++) totals[p] = new long[256];
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
                for (int b = 0; b < 256; b++) totals[p][b] += recorders[p].Histogram[b];
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
            if (scheme == SchemeKind.TwoPcDealer && p == 2)
            {
                Assert.Equal(0, va[p].Sum() + vb[p].Sum()); // the dealer receives nothing at all
                continue;
            }
            // A party that receives nothing during the op (3pc P2 in a fixed-point product) has nothing to learn.
            if (va[p].Sum() == 0 && vb[p].Sum() == 0) continue;
            tested++;
            Assert.True(va[p].Sum() > 10_000, $"{name}: P{p} received too little to test ({va[p].Sum()} B)");
            double ua = ChiSquareUniform(va[p]), ub = ChiSquareUniform(vb[p]), two = ChiSquareTwoSample(va[p], vb[p]);
            Assert.True(ua < Critical && ub < Critical, $"{scheme} {name}: P{p} view not uniform (chi2 {ua:F0}, {ub:F0})");
            Assert.True(two < Critical, $"{scheme} {name}: P{p} view depends on the secret (chi2 {two:F0})");
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
