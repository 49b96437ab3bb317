using PrivateInference.Engine.CachePolicies;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class OneHotLayoutTests
{
    private const int Rows = 2, N = 40, Budget = 9, W = 3;

    private static double Score(int row, int i) => ((row * 17 + i * 29) % 41) / 8.0;

    /// <summary>A tournament selection of <see cref="Budget"/> of <see cref="N"/> items (two forced), then the product
    /// made through its layout and densely, revealed, with the bytes P0 sent for each.</summary>
    private static (double[] ByLayout, double[] Dense, long LayoutBytes, long DenseBytes) Run(SchemeKind scheme, bool scatter)
    {
        var results = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var scores = ctx.Input(PartyIds.Client, [Rows, N], client ? Enumerable.Range(0, Rows * N).Select(i => Score(i / N, i % N)).ToArray() : null);
            var (oneHot, layout) = SecretSelection.PickWithLayout(ctx, scores, [N - 1, 0], Enumerable.Range(1, N - 2).ToList(), Budget);
            int k = oneHot.Shape[1];
            var x = scatter
                ? ctx.Input(PartyIds.Client, [Rows, k, W], client ? Enumerable.Range(0, Rows * k * W).Select(i => (i % 11 - 5) / 4.0).ToArray() : null)
                : ctx.Input(PartyIds.Client, [Rows, N, W], client ? Enumerable.Range(0, Rows * N * W).Select(i => (i % 13 - 6) / 4.0).ToArray() : null);
            long t0 = ctx.Channel.Total.BytesSent;
            var byLayout = scatter ? layout.Scatter(ctx, x, N) : layout.Gather(ctx, x);
            long t1 = ctx.Channel.Total.BytesSent;
            var dense = scatter ? ctx.MatMul(ctx.Transpose(oneHot), x, truncate: false) : ctx.MatMul(oneHot, x, truncate: false);
            long t2 = ctx.Channel.Total.BytesSent;
            return (ctx.Reveal(byLayout, PartyIds.Client), ctx.Reveal(dense, PartyIds.Client), t1 - t0, t2 - t1);
        });
        var (l, d, _, _) = results[PartyIds.Client];
        return (l!, d!, results[PartyIds.P0].Item3, results[PartyIds.P0].Item4);
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc, true)]
    [InlineData(SchemeKind.ThreePc, false)]
    [InlineData(SchemeKind.TwoPcDealer, true)]
    [InlineData(SchemeKind.TwoPcDealer, false)]
    public void Products_through_the_layout_equal_the_dense_products_and_open_only_the_possible_entries(SchemeKind scheme, bool scatter)
    {
        var (byLayout, dense, layoutBytes, denseBytes) = Run(scheme, scatter);
        Assert.Equal(dense.Length, byLayout.Length);
        for (int i = 0; i < dense.Length; i++) Assert.Equal(dense[i], byLayout[i], 6);
        // Dense: the whole one-hot (k·n entries per row) and x. Through the layout: each bucket's width entries and
        // its vectors; the forced rows cost nothing.
        Assert.True(layoutBytes * 2 < denseBytes, $"{layoutBytes} B through the layout against {denseBytes} B dense");
    }
}
