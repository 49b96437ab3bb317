using PrivateInference.Engine.CachePolicies;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class ThresholdMaskTests
{
    // 12 kept slots in child clusters of 4 (parents of 8): child 0 holds one valid slot, child 1 four, child 2 none.
    private static readonly double[] Bits = [0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0];

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void DroppedSlotsScoreTheSoftmaxsMaskedValueAndEmptyClustersLoseTheirPenalty(SchemeKind scheme)
    {
        const int n = 14;   // the 12 slots and two generated tokens
        var scores = Enumerable.Range(0, 2 * n).Select(i => Bits.ElementAtOrDefault(i % n) == 0 && i % n < 12 ? 0.0 : i * 0.25 - 3).ToArray();
        var bounds = Enumerable.Range(0, 2 * 4).Select(i => i * 0.5 - 1).ToArray();   // [2 kv heads, 4 child clusters]
        var revealed = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var mask = ThresholdMask.Create(ctx, ctx.LessThanZero(ctx.Input(PartyIds.Client, [12], client ? Bits.Select(b => -b).ToArray() : default)), 4, 8);
            var s = ctx.Input(PartyIds.Client, [2, 1, n], client ? scores : default);
            var b = ctx.Input(PartyIds.Client, [2, 4], client ? bounds : default);
            return (ctx.Reveal(mask.Apply(ctx, s), PartyIds.Client), ctx.Reveal(mask.PenalizeEmpty(ctx, b, 4), PartyIds.Client),
                    ctx.Reveal(mask.PenalizeEmpty(ctx, b, 8), PartyIds.Client), mask.Occupied.Keys.Order().ToArray());
        })[3];

        for (int i = 0; i < 2 * n; i++)
        {
            bool dropped = i % n < 12 && Bits[i % n] == 0;
            Assert.Equal(dropped ? -Math.Pow(2, MpcContext.NonlinearRangeLog2) : scores[i], revealed.Item1![i], 3);
        }
        // Child 2 (slots 8..11) is empty; child 3 reaches past the slots (generated tokens) and is never penalized.
        for (int i = 0; i < 8; i++)
            Assert.Equal(bounds[i] - (i % 4 == 2 ? ThresholdMask.EmptyPenalty : 0), revealed.Item2![i], 3);
        // The one whole parent (slots 0..7) holds valid slots: unchanged.
        Assert.Equal(bounds, revealed.Item3!.Select(v => Math.Round(v, 3)).ToArray());
        Assert.Equal([4, 8], revealed.Item4);
    }
}
