using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>A matrix that grows by rows (the KV cache) multiplies like the tensor it holds, and a product with it opens
/// only the other operand and the rows appended since the last product.</summary>
public class GrowingMatrixTests
{
    private const int Batch = 3, Cols = 5, M = 2;

    private static double[] MatMulRef(double[] a, double[] b, int batch, int m, int k, int n)
    {
        var c = new double[batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int l = 0; l < k; l++) s += a[(t * m + i) * k + l] * b[(t * k + l) * n + j];
                    c[(t * m + i) * n + j] = s;
                }
        return c;
    }

    private static double Q(double v) => Math.Round(v * 65536) / 65536;

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Products_with_a_matrix_grown_in_three_steps_equal_the_products_with_its_value(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        int[] steps = [4, 1, 2];
        int rows = steps.Sum();
        var w = Harness.Uniform(rng, Batch * rows * Cols, -2, 2).Select(Q).ToArray();   // [batch, rows, cols]
        var x = Harness.Uniform(rng, Batch * M * rows, -2, 2).Select(Q).ToArray();      // [batch, m, rows]
        var y = Harness.Uniform(rng, Batch * M * Cols, -2, 2).Select(Q).ToArray();      // [batch, m, cols]
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var all = ctx.Input(PartyIds.Client, [Batch, rows, Cols], w);
            GrowingMatrix? g = null;
            int at = 0;
            foreach (var r in steps)
            {
                g = ctx.Grow(g, ctx.Slice(all, 1, at, r));
                at += r;
            }
            var plain = ctx.MatMul(ctx.Input(PartyIds.Client, [Batch, M, rows], x), g!);                       // [batch, m, cols]
            var transposed = ctx.MatMul(ctx.Input(PartyIds.Client, [Batch, M, Cols], y), g!, transposeB: true,
                truncate: false);                                                                               // [batch, m, rows]
            return ctx.Concat([ctx.Reshape(plain, Batch * M * Cols), ctx.Reshape(ctx.Rescale(transposed, plain.Scale), Batch * M * rows)], 0);
        });
        var wt = new double[w.Length];
        for (int t = 0; t < Batch; t++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < Cols; j++) wt[(t * Cols + j) * rows + i] = w[(t * rows + i) * Cols + j];
        var expected = MatMulRef(x, w, Batch, M, rows, Cols).Concat(MatMulRef(y, wt, Batch, M, Cols, rows)).ToArray();
        Harness.AssertClose(expected, got, 3.0 / 65536, 0, "products with a grown matrix");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void A_product_with_a_grown_matrix_opens_only_the_other_operand_and_the_rows_appended_since_the_last(SchemeKind scheme)
    {
        const int rows = 40;
        var res = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var q = ctx.Input(PartyIds.Client, [Batch, 1, Cols], new double[Batch * Cols]);
            var g = ctx.Grow(null, ctx.Input(PartyIds.Client, [Batch, rows, Cols], new double[Batch * rows * Cols]));
            ctx.MatMul(q, g, transposeB: true, truncate: false);               // opens the first 40 rows
            g = ctx.Grow(g, ctx.Input(PartyIds.Client, [Batch, 1, Cols], new double[Batch * Cols]));
            var before = ctx.Channel.Total;
            ctx.MatMul(q, g, transposeB: true, truncate: false);
            return ctx.Channel.Total - before;
        });
        // P0 and P1 each send their share of D = q − A (Batch·Cols elements) and of the new row's E (Batch·Cols), in one
        // message; the dealer sends P1 its share of C = A·B.
        Assert.Equal(8L * 2 * Batch * Cols, res[0].BytesSent);
        Assert.Equal(8L * 2 * Batch * Cols, res[1].BytesSent);
        Assert.Equal(8L * Batch * (rows + 1), res[2].BytesSent);
        Assert.Equal(1, res[0].Rounds);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Appending_rows_sends_nothing_until_the_next_product(SchemeKind scheme)
    {
        var res = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var k = ctx.Input(PartyIds.Client, [Batch, 1, Cols], new double[Batch * Cols]);
            var v = ctx.Input(PartyIds.Client, [Batch, 1, 2 * Cols], new double[2 * Batch * Cols]);
            var before = ctx.Channel.Total;
            var grown = ctx.Grow([null, null], [k, v]);
            Assert.Equal([Batch, 1, 2 * Cols], grown[1].Value.Shape);
            return ctx.Channel.Total - before;
        });
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(0, res[p].Rounds);
            Assert.Equal(0, res[p].BytesSent);
        }
    }

    /// <summary>Entries of the left operand that are 0 in every share (public) are not opened, and outputs the caller
    /// discards cost the dealer nothing: the kept outputs are the same products, P0 and P1 send 8 B less per zero,
    /// the dealer 8 B less per discarded output (a causal prefill's masked probabilities and scores).</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Known_zeros_are_not_opened_and_discarded_outputs_cost_the_dealer_nothing(SchemeKind scheme)
    {
        const int rows = 6;
        var rng = Harness.FreshRng();
        var w = Harness.Uniform(rng, Batch * rows * Cols, -2, 2).Select(Q).ToArray();
        var x = Harness.Uniform(rng, Batch * M * rows, -2, 2).Select(Q).ToArray();
        var keep = Enumerable.Range(0, x.Length).Select(i => i % 3 == 0 ? 0.0 : 1.0).ToArray();
        var zeros = keep.Select(v => v == 0).ToArray();
        var discard = Enumerable.Range(0, Batch * M * Cols).Select(i => i % 2 == 0).ToArray();
        (double[]? Result, CommStats Cost)[] Run(bool flags) => InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var g = ctx.Grow(null, ctx.Input(PartyIds.Client, [Batch, rows, Cols], client ? w : default));
            var xz = ctx.MulPublicExact(ctx.Input(PartyIds.Client, [Batch, M, rows], client ? x : default), keep, [Batch, M, rows]);
            ctx.MatMul(xz, g, truncate: false);                 // opens the grown rows, as a cache in use has
            var before = ctx.Channel.Total;
            var p = flags ? ctx.MatMul(xz, g, truncate: false, zeros: zeros, discard: discard) : ctx.MatMul(xz, g, truncate: false);
            var cost = ctx.Channel.Total - before;
            return (ctx.Reveal(ctx.Rescale(p, 16), PartyIds.Client), cost);
        });
        var with = Run(true);
        var without = Run(false);
        var expected = MatMulRef(x.Select((v, i) => v * keep[i]).ToArray(), w, Batch, M, rows, Cols);
        var got = with[PartyIds.Client].Result!;
        var kept = Enumerable.Range(0, expected.Length).Where(i => !discard[i]).ToArray();
        Harness.AssertClose(kept.Select(i => expected[i]).ToArray(), kept.Select(i => got[i]).ToArray(), 3.0 / 65536, 0, "kept outputs");
        Assert.Equal(8L * zeros.Count(z => z), without[PartyIds.P0].Cost.BytesSent - with[PartyIds.P0].Cost.BytesSent);
        Assert.Equal(8L * zeros.Count(z => z), without[PartyIds.P1].Cost.BytesSent - with[PartyIds.P1].Cost.BytesSent);
        Assert.Equal(8L * discard.Count(d => d), without[PartyIds.P2].Cost.BytesSent - with[PartyIds.P2].Cost.BytesSent);
    }
}
