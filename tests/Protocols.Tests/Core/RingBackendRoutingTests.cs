using PrivateInference.Kernels.Backends;
using PrivateInference.Protocols;

namespace PrivateInference.Protocols.Tests.Core;

/// <summary>The process-wide ring backend is swapped here, so nothing else may run beside these tests.</summary>
[CollectionDefinition(nameof(RingBackendRoutingCollection), DisableParallelization = true)]
public sealed class RingBackendRoutingCollection;

/// <summary>
/// Whole protocols (3pc and 2pc: products, prepared weights, a comparison's AND layers) with every local step that
/// goes through the ring backend run by the ILGPU kernels on ILGPU's CPU accelerator, sizes forced onto the device.
/// </summary>
[Collection(nameof(RingBackendRoutingCollection))]
public sealed class RingBackendRoutingTests
{
    private const double TwoUlp = 2.0 / 65536 + 1e-12;

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Products_and_comparisons_are_right_on_the_ilgpu_kernels(SchemeKind scheme)
    {
        var rng = new Random(21);
        var x = Ints(rng, 4 * 16);
        var w = Ints(rng, 16 * 24);
        var a = Ints(rng, 2 * 3 * 16);
        var b = Ints(rng, 16 * 8);
        var u = Ints(rng, 256);
        var v = Ints(rng, 256);
        using var gpu = IlgpuRingBackend.CreateCpuAccelerator();
        using (RingBackends.Use(gpu))
        {
            var prepared = Harness.RunToClient(scheme, ctx =>
            {
                var weight = ctx.PrepareWeight(ctx.Input(PartyIds.Client, [16, 24], w));
                var input = ctx.Input(PartyIds.Client, [4, 16], x);
                var first = ctx.MatMul(input, weight);
                return ctx.MatMul(input, weight) - first + first;
            });
            Harness.AssertClose(MatMul(x, w, 4, 16, 24), prepared, 3 * TwoUlp, 0, "x W with W prepared");

            var batched = Harness.RunToClient(scheme, ctx => ctx.MatMul(ctx.Input(PartyIds.Client, [2, 3, 16], a), ctx.Input(PartyIds.Client, [16, 8], b)));
            Harness.AssertClose(MatMul(a, b, 6, 16, 8), batched, TwoUlp, 0, "batched a b");

            var product = Harness.RunToClient(scheme, ctx => ctx.Input(PartyIds.Client, [256], u) * ctx.Input(PartyIds.Client, [256], v));
            Harness.AssertClose(u.Zip(v, (p, q) => p * q).ToArray(), product, TwoUlp, 0, "u * v");

            var negative = Harness.RunToClient(scheme, ctx => ctx.LessThanZero(ctx.Input(PartyIds.Client, [256], u)));
            Assert.Equal(u.Select(p => p < 0 ? 1.0 : 0.0).ToArray(), negative);
        }
    }

    /// <summary>Small integers (some zero): every product is exact before truncation.</summary>
    private static double[] Ints(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (double)rng.Next(-8, 9)).ToArray();

    private static double[] MatMul(double[] a, double[] b, int m, int k, int n)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
        return c;
    }
}
