using PrivateInference.Engine.CachePolicies;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class CacheBudgetsTests
{
    private static readonly CachePolicyOptions Defaults = new() { Kind = CachePolicyKind.MpCache, MinTokens = 0 };

    [Fact]
    public void EdgeLayersSelectForThemselvesAndMiddlePairsShare()
    {
        var selectors = Enumerable.Range(0, 12).Select(l => CacheBudgets.SelectingLayer(Defaults, l, 12)).ToArray();
        Assert.Equal([0, 1, 2, 2, 4, 4, 6, 6, 8, 8, 10, 11], selectors);
    }

    [Fact]
    public void WithoutIndexSharingEveryLayerSelects() =>
        Assert.Equal([0, 1, 2, 3, 4, 5], Enumerable.Range(0, 6).Select(l => CacheBudgets.SelectingLayer(Defaults with { IndexSharing = false }, l, 6)));

    [Fact]
    public void BudgetsFollowTheRatiosAndKeepAtLeastTheEnds()
    {
        Assert.Equal(30, CacheBudgets.StaticKept(Defaults, 100));
        Assert.Equal(20, CacheBudgets.ObservationQueries(Defaults, 100));
        Assert.Equal(32, CacheBudgets.Level1Kept(Defaults, 64));       // 50% of 64 clusters
        Assert.Equal(26, CacheBudgets.Level2Kept(Defaults, 128, 64));  // 20% of 128 children
        Assert.Equal(2, CacheBudgets.Level1Kept(Defaults, 3));          // first and last at least
    }

    [Fact]
    public void TheMinimumTokenBudgetIsAFloorOnBothStages()
    {
        var o = Defaults with { MinTokens = 128 };
        Assert.Equal(128, CacheBudgets.StaticKept(o, 200));             // 30% would be 60
        Assert.Equal(300, CacheBudgets.StaticKept(o, 1000));            // the ratio beyond the floor
        Assert.Equal(8, CacheBudgets.Level2Kept(o, 20, 20));            // 128 tokens = 8 children of 16
        Assert.Equal(5, CacheBudgets.Level1Kept(o, 6));                 // enough parents to hold them, one partial
        Assert.Equal(26, CacheBudgets.Level2Kept(o, 128, 64));          // the ratio at long contexts
    }

    [Fact]
    public void TheThresholdBoundIsTheSumOnTheFixedPointGrid()
    {
        // 0.3 · 4 heads · 1 query = 1.2, which is not on the 2^-16 grid: rounded to the nearest grid point, as encoded.
        Assert.Equal(Math.Round(1.2 * 65536) / 65536, CacheBudgets.ThresholdSum(Defaults with { StaticThreshold = 0.3 }, 4, 1, 16));
        Assert.Equal(78643 / 65536.0, CacheBudgets.ThresholdSum(Defaults with { StaticThreshold = 0.3 }, 4, 1, 16));
        Assert.Equal(Math.Round(0.01 * 8 * 30 * 256) / 256, CacheBudgets.ThresholdSum(Defaults with { StaticThreshold = 0.01 }, 8, 30, 8));
        Assert.Throws<InvalidOperationException>(() => CacheBudgets.ThresholdSum(Defaults, 4, 1, 16));
    }

    [Fact]
    public void ShortCachesAreNotSelectedFrom() => Assert.True(CacheBudgets.SelectsEverything(Defaults, 20));
}
