using PrivateInference.Protocols;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>Linear ops, products and truncation against float64 on the fixed-point-quantized inputs.</summary>
public class ArithmeticTests
{
    /// <summary>Truncation returns ⌊z / 2^d⌋ + e, e ∈ {0, 1} in replicated 3pc and e ∈ {0, 1, 2} on the 2-out-of-2 form
    /// (the dropped carry of the two mask shares, docs/protocols.md): at most two units in the last place.</summary>
    private const double TwoUlp = 2.0 / 65536 + 1e-12;

    private static double[] Q(double[] a) => a.Select(v => Harness.Quantize(v)).ToArray();

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Add_sub_and_public_add_are_exact(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 64, -1000, 1000);
        var b = Harness.Uniform(rng, 64, -1000, 1000);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [64], a);
            var y = ctx.Input(PartyIds.Client, [64], b);
            return ctx.AddPublic(x + y - (y - x), 2.5);
        });
        Harness.AssertClose(Q(a).Select(v => 2 * v + 2.5).ToArray(), got, 1e-12, 0, "2x + 2.5");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Add_broadcasts_a_row_vector_over_a_matrix(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 12, -5, 5);
        var b = Harness.Uniform(rng, 4, -5, 5);
        var got = Harness.RunToClient(scheme, ctx => ctx.Input(PartyIds.Client, [3, 4], a) + ctx.Input(PartyIds.Client, [4], b));
        var qa = Q(a); var qb = Q(b);
        Harness.AssertClose(Enumerable.Range(0, 12).Select(i => qa[i] + qb[i % 4]).ToArray(), got, 1e-12, 0, "broadcast add");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Mul_by_public_real_is_within_two_ulp(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 100, -100, 100);
        var got = Harness.RunToClient(scheme, ctx => ctx.Input(PartyIds.Client, [100], a) * 0.3);
        double c = Harness.Quantize(0.3);
        Harness.AssertClose(Q(a).Select(v => v * c).ToArray(), got, TwoUlp, 0, "x * 0.3");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Mul_is_within_two_ulp_for_products_up_to_2_pow_29(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 256, -20000, 20000);
        var b = Harness.Uniform(rng, 256, -20000, 20000);
        var got = Harness.RunToClient(scheme, ctx => ctx.Input(PartyIds.Client, [256], a) * ctx.Input(PartyIds.Client, [256], b));
        var qa = Q(a); var qb = Q(b);
        Harness.AssertClose(qa.Zip(qb, (p, q) => p * q).ToArray(), got, TwoUlp, 0, "x * y");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void MulBatch_gives_the_same_products_as_separate_muls(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 10, -3, 3);
        var b = Harness.Uniform(rng, 6, -3, 3);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [10], a);
            var y = ctx.Input(PartyIds.Client, [6], b);
            var r = ctx.MulBatch([x, y], [x, y]);
            return ctx.Concat([r[0], r[1]], 0);
        });
        Harness.AssertClose(Q(a).Concat(Q(b)).Select(v => v * v).ToArray(), got, TwoUlp, 0, "batched squares");
    }

    private static double[] MatMulRef(double[] a, double[] b, int batch, int m, int k, int n, bool shared)
    {
        var c = new double[batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += a[(t * m + i) * k + p] * b[(shared ? 0 : t * k * n) + p * n + j];
                    c[(t * m + i) * n + j] = s;
                }
        return c;
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void MatMul_of_secret_batches_is_within_two_ulp(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 2 * 3 * 5, -4, 4);
        var b = Harness.Uniform(rng, 2 * 5 * 7, -4, 4);
        var got = Harness.RunToClient(scheme, ctx => ctx.MatMul(ctx.Input(PartyIds.Client, [2, 3, 5], a), ctx.Input(PartyIds.Client, [2, 5, 7], b)));
        Harness.AssertClose(MatMulRef(Q(a), Q(b), 2, 3, 5, 7, false), got, TwoUlp, 0, "batched matmul");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void MatMul_with_a_shared_right_matrix_and_its_transpose(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 2 * 3 * 5, -4, 4);
        var b = Harness.Uniform(rng, 7 * 5, -4, 4);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var w = ctx.Transpose(ctx.Input(PartyIds.ModelOwner == ctx.PartyId ? PartyIds.Client : PartyIds.Client, [7, 5], b));
            return ctx.MatMul(ctx.Input(PartyIds.Client, [2, 3, 5], a), w);
        });
        var qb = Q(b);
        var bt = new double[5 * 7];
        for (int i = 0; i < 7; i++) for (int j = 0; j < 5; j++) bt[j * 7 + i] = qb[i * 5 + j];
        Harness.AssertClose(MatMulRef(Q(a), bt, 2, 3, 5, 7, true), got, TwoUlp, 0, "matmul with B^T");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void MatMul_with_a_public_matrix_is_within_two_ulp(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 4 * 6, -4, 4);
        var b = Harness.Uniform(rng, 6 * 3, -4, 4);
        var got = Harness.RunToClient(scheme, ctx => ctx.MatMulPublic(ctx.Input(PartyIds.Client, [4, 6], a), b, [6, 3]));
        Harness.AssertClose(MatMulRef(Q(a), Q(b), 1, 4, 6, 3, true), got, TwoUlp, 0, "public matmul");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Prepared_weight_gives_the_same_products_on_repeated_use(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var w = Harness.Uniform(rng, 6 * 4, -2, 2);
        var x1 = Harness.Uniform(rng, 3 * 6, -2, 2);
        var x2 = Harness.Uniform(rng, 6, -2, 2);
        var parties = new[] { 0, 1, 2, PartyIds.Client, PartyIds.ModelOwner };
        var res = PrivateInference.Protocols.Communication.InProcessSession.Run(scheme, parties, ctx =>
        {
            var pw = ctx.PrepareWeight(ctx.Input(PartyIds.ModelOwner, [6, 4], w));
            var y1 = ctx.MatMul(ctx.Input(PartyIds.Client, [3, 6], x1), pw);
            var y2 = ctx.MatMul(ctx.Input(PartyIds.Client, [1, 6], x2), pw);
            return ctx.Reveal(ctx.Concat([y1, y2], 0), PartyIds.Client);
        });
        Assert.All(res.Where((_, i) => i != 3), Assert.Null);
        Harness.AssertClose(MatMulRef(Q(x1).Concat(Q(x2)).ToArray(), Q(w), 1, 4, 6, 4, true), res[3]!, TwoUlp, 0, "prepared matmul");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Truncate_divides_by_a_power_of_two_within_two_units(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 128, -1e6, 1e6);
        var got = Harness.RunToClient(scheme, ctx => ctx.Truncate(ctx.Input(PartyIds.Client, [128], a), 5));
        Harness.AssertClose(Q(a).Select(v => v / 32).ToArray(), got, 2.0 / 65536, 0, "x / 32");
    }

    /// <summary>The truncation rounds stochastically and without bias: 4096 copies of one value whose quotient has
    /// fraction 7/32 average to it within 0.05 units (a biased half unit, as a dropped carry alone would give, fails).</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Truncation_is_unbiased(SchemeKind scheme)
    {
        const int n = 4096;
        double value = (32.0 * 1234 + 7) / 65536;
        var got = Harness.RunToClient(scheme, ctx => ctx.Truncate(ctx.Input(PartyIds.Client, [n], Enumerable.Repeat(value, n).ToArray()), 5));
        var errors = got.Select(v => (v - value / 32) * 65536).ToArray();
        Assert.InRange(errors.Average(), -0.05, 0.05);
        Assert.All(errors, e => Assert.InRange(e, -1.5, 1.5));
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Integer_products_are_exact_in_the_ring(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Enumerable.Range(0, 64).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var b = Enumerable.Range(0, 64).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var res = PrivateInference.Protocols.Communication.InProcessSession.Run(scheme, PrivateInference.Protocols.Communication.InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.InputRing(PartyIds.Client, [64], ctx.PartyId == PartyIds.Client ? a : null, 0);
            var y = ctx.InputRing(PartyIds.Client, [64], ctx.PartyId == PartyIds.Client ? b : null, 0);
            return ctx.RevealRing(ctx.Mul(x, y), PartyIds.Client);
        });
        Assert.Equal(a.Zip(b, (p, q) => unchecked(p * q)).ToArray(), res[3]);
    }
}
