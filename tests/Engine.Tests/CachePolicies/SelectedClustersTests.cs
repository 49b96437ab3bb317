using PrivateInference.Engine.CachePolicies;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class SelectedClustersTests
{
    private const int KvHeads = 2, Group = 2, Length = 37, Child = 8, Children = 5;
    // Per KV head, the chosen children in row order; row 0 is the newest (partial) child, as the policy lays it out.
    private static readonly int[][] Chosen = [[4, 0, 2], [4, 3, 1]];

    private static double[] Run(SchemeKind scheme, Func<MpcContext, SelectedClusters, SecretTensor> program) =>
        InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var oneHot = new ulong[KvHeads * Chosen[0].Length * Children];
            for (int h = 0; h < KvHeads; h++)
                for (int b = 0; b < Chosen[h].Length; b++) oneHot[(h * Chosen[h].Length + b) * Children + Chosen[h][b]] = 1;
            var secret = ctx.InputRing(PartyIds.Client, [KvHeads, Chosen[0].Length, Children], ctx.PartyId == PartyIds.Client ? oneHot : null, 0);
            return ctx.Reveal(program(ctx, new SelectedClusters(secret, Child, Length)), PartyIds.Client);
        })[3]!;

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void GatherTakesTheChosenChildrensScoresRowByRow(SchemeKind scheme)
    {
        var scores = Enumerable.Range(0, KvHeads * Group * Length).Select(i => (double)(i % 97) / 8).ToArray();
        var got = Run(scheme, (ctx, s) => s.Gather(ctx, ctx.Input(PartyIds.Client, [KvHeads, Group, Length], scores)));
        int m = Chosen[0].Length * Child;
        for (int h = 0; h < KvHeads; h++)
            for (int g = 0; g < Group; g++)
                for (int slot = 0; slot < m; slot++)
                {
                    int position = Chosen[h][slot / Child] * Child + slot % Child;
                    double expected = position < Length ? scores[(h * Group + g) * Length + position] : 0;   // padding: zero
                    Assert.Equal(expected, got[(h * Group + g) * m + slot], 6);
                }
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void ScatterPutsEachProbabilityBackAtItsPositionAndZeroElsewhere(SchemeKind scheme)
    {
        int m = Chosen[0].Length * Child;
        var probs = Enumerable.Range(0, KvHeads * Group * m).Select(i => (i % 13 + 1) / 64.0).ToArray();
        var got = Run(scheme, (ctx, s) => s.Scatter(ctx, ctx.Input(PartyIds.Client, [KvHeads, Group, m], probs)));
        for (int h = 0; h < KvHeads; h++)
            for (int g = 0; g < Group; g++)
                for (int position = 0; position < Length; position++)
                {
                    int row = Array.IndexOf(Chosen[h], position / Child);
                    double expected = row < 0 ? 0 : probs[(h * Group + g) * m + row * Child + position % Child];
                    Assert.Equal(expected, got[(h * Group + g) * Length + position], 6);
                }
    }

    [Fact]
    public void OnlyThePaddingOfTheNewestChildIsInvalid()
    {
        var oneHot = InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient,
            ctx => new SelectedClusters(ctx.InputRing(PartyIds.Client, [KvHeads, 3, Children], ctx.PartyId == PartyIds.Client ? new ulong[KvHeads * 3 * Children] : null, 0), Child, Length).Valid())[3]!;
        // The newest child holds 37 − 4·8 = 5 tokens; its other 3 slots are padding.
        var expected = Enumerable.Range(0, 3 * Child).Select(j => j >= Child || j < 5).ToArray();
        Assert.Equal(expected, oneHot);
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void TwoStagesGatherAndScatterAsTheirComposedOneHot(SchemeKind scheme)
    {
        // Parents of 16 (2 children each): 37 tokens = 3 parents, 5 children. Per head, rows pick parents [2, 0]; the
        // slots (b·2 + j) picked are [0, 3] (children 4 and 1) and [0, 2] (children 4 and 0).
        int[][] parentRows = [[2, 0], [2, 0]], slotRows = [[0, 3], [0, 2]];
        const int parents = 3, k1 = 2, slots = 4, k = 2;
        var scores = Enumerable.Range(0, KvHeads * Group * Length).Select(i => (double)(i % 89) / 8).ToArray();
        int m = k * Child;
        var probs = Enumerable.Range(0, KvHeads * Group * m).Select(i => (i % 11 + 1) / 64.0).ToArray();
        var got = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var p = new ulong[KvHeads * k1 * parents];
            var o = new ulong[KvHeads * k * slots];
            for (int h = 0; h < KvHeads; h++)
            {
                for (int b = 0; b < k1; b++) p[(h * k1 + b) * parents + parentRows[h][b]] = 1;
                for (int b = 0; b < k; b++) o[(h * k + b) * slots + slotRows[h][b]] = 1;
            }
            var two = new SelectedClusters(ctx.InputRing(PartyIds.Client, [KvHeads, k, slots], client ? o : null, 0), Child, Length,
                ctx.InputRing(PartyIds.Client, [KvHeads, k1, parents], client ? p : null, 0), 2 * Child);
            var one = new SelectedClusters(two.ChildOneHot(ctx), Child, Length);
            var s = ctx.Input(PartyIds.Client, [KvHeads, Group, Length], client ? scores : default);
            var q = ctx.Input(PartyIds.Client, [KvHeads, Group, m], client ? probs : default);
            return ctx.Reveal(ctx.Concat([ctx.Reshape(two.Gather(ctx, s), KvHeads * Group * m), ctx.Reshape(one.Gather(ctx, s), KvHeads * Group * m),
                ctx.Reshape(two.Scatter(ctx, q), KvHeads * Group * Length), ctx.Reshape(one.Scatter(ctx, q), KvHeads * Group * Length),
                ctx.Reshape(one.OneHot, KvHeads * k * Children)], 0), PartyIds.Client);
        })[3]!;
        int g = KvHeads * Group * m, t = KvHeads * Group * Length;
        Assert.Equal(got[..g], got[g..(2 * g)]);
        Assert.Equal(got[(2 * g)..(2 * g + t)], got[(2 * g + t)..(2 * g + 2 * t)]);
        var composed = got[(2 * g + 2 * t)..];
        Assert.Equal(1, composed[1 * Children + 1]);   // head 0, row 1: child 1
        Assert.Equal(1, composed[(1 * k + 1) * Children + 0]);   // head 1, row 1: child 0
        Assert.Equal(1, composed[4]);   // head 0, row 0: the newest child
    }
}
