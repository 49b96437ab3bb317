using PrivateInference.Engine.CachePolicies;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class SecretSelectionTests
{
    private static double[] Run(SchemeKind scheme, Func<MpcContext, SecretTensor> program) =>
        InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx => ctx.Reveal(program(ctx), PartyIds.Client))[3]!;

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void TopKMaskKeepsThePlaintextTopKIncludingTies(SchemeKind scheme)
    {
        var rng = new Random(5);
        const int rows = 3, n = 20, k = 6;
        // Rounded to a coarse grid so that ties occur; the plaintext rule breaks them towards the lower index.
        var scores = Enumerable.Range(0, rows * n).Select(_ => Math.Round(rng.NextDouble() * 8) / 4 - 1).ToArray();
        var mask = Run(scheme, ctx => SecretSelection.TopKMask(ctx, ctx.Input(PartyIds.Client, [rows, n], scores), k));
        for (int r = 0; r < rows; r++)
        {
            var expected = PlainCachePolicy.TopPositions(scores[(r * n)..((r + 1) * n)], n, k);
            var actual = Enumerable.Range(0, n).Where(i => mask[r * n + i] == 1).ToList();
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void TopKOneHotPicksThePlaintextTopKInRankOrder(SchemeKind scheme)
    {
        var rng = new Random(9);
        const int rows = 3, n = 17, k = 5;
        var scores = Enumerable.Range(0, rows * n).Select(_ => Math.Round(rng.NextDouble() * 8) / 4 - 1).ToArray();
        var oneHot = Run(scheme, ctx => SecretSelection.TopKOneHot(ctx, ctx.Input(PartyIds.Client, [rows, n], scores), k));
        for (int r = 0; r < rows; r++)
        {
            var row = scores[(r * n)..((r + 1) * n)];
            // Rank order: higher score first, ties to the lower index.
            var expected = Enumerable.Range(0, n).OrderByDescending(i => row[i]).ThenBy(i => i).Take(k).ToList();
            Assert.Equal(PlainCachePolicy.TopPositions(row, n, k), expected.Order().ToList());
            for (int b = 0; b < k; b++)
                for (int i = 0; i < n; i++)
                    Assert.Equal(i == expected[b] ? 1.0 : 0.0, oneHot[(r * k + b) * n + i]);
        }
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void CompactPicksTheKeptItemsInAscendingOrder(SchemeKind scheme)
    {
        const int n = 10, k = 3;
        double[] mask = [0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
        var oneHot = Run(scheme, ctx => SecretSelection.Compact(ctx, ctx.InputRing(PartyIds.Client, [2, n],
            ctx.PartyId == PartyIds.Client ? mask.Select(v => (ulong)v).ToArray() : null, 0), k));
        int[][] kept = [[1, 4, 8], [0, 1, 2]];
        for (int r = 0; r < 2; r++)
            for (int b = 0; b < k; b++)
                for (int i = 0; i < n; i++)
                    Assert.Equal(i == kept[r][b] ? 1.0 : 0.0, oneHot[(r * k + b) * n + i]);
    }
}
