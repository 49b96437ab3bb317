using PrivateInference.Engine.CachePolicies;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class ClusterSelectionTests
{
    [Fact]
    public void TopWithEndsAlwaysKeepsFirstAndLastThenBestScores()
    {
        var kept = ClusterSelection.TopWithEnds([0, 1, 2, 3, 4], [-9, 5, 7, 1, -9], budget: 3, total: 5);
        Assert.Equal([0, 2, 4], kept);
    }

    [Theory]
    [InlineData(SelectionMethod.Tournament)]
    [InlineData(SelectionMethod.Rank)]
    public void SelectsTheClusterWhoseKeysAlignWithTheQuery(SelectionMethod method)
    {
        // 8 clusters of 4 tokens (children of 2), keys along +x except cluster 5, along +y; the query points along +y.
        var o = new CachePolicyOptions { Kind = CachePolicyKind.Dynamic, ClusterSize = 4, ChildClusterSize = 2, Level1Keep = 0.375, Level2Keep = 0.1875, MinTokens = 0, Selection = method };
        var bounds = new ClusterBounds(headSize: 2, childSize: 2);
        for (int t = 0; t < 32; t++)
            bounds.Append(t / 4 == 5 ? [0f, 1f + t % 3] : [1f, 0f]);
        var selected = ClusterSelection.Select(o, bounds, [0f, 1f]);
        // Level 1 keeps first, last and cluster 5; level 2 keeps 3 of 16 children: first, last, and the best of cluster 5's.
        Assert.Contains(22, selected); // child 11 (tokens 22-23) bounds y in [2,3], beating child 10 ([1,3])
        Assert.Contains(0, selected);
        Assert.Contains(31, selected);
        Assert.Equal(6, selected.Count);
    }

    [Fact]
    public void TheMinimumBudgetKeepsAtLeastThatManyTokens()
    {
        var o = new CachePolicyOptions { Kind = CachePolicyKind.Dynamic, MinTokens = 100 };
        var bounds = new ClusterBounds(headSize: 2, childSize: 16);
        var rng = new Random(3);
        for (int t = 0; t < 300; t++) bounds.Append([(float)rng.NextDouble(), (float)rng.NextDouble()]);
        // 20% of 19 children would be 4 (64 tokens); the floor asks for 7 children, the newest holding 300 − 18·16 = 12.
        Assert.Equal(6 * 16 + 12, ClusterSelection.Select(o, bounds, [1f, -1f]).Count);
    }

    [Fact]
    public void BoundsTrackPerChannelMinAndMaxIncrementally()
    {
        var bounds = new ClusterBounds(headSize: 1, childSize: 2);
        foreach (var v in new[] { 3f, -1f, 5f }) bounds.Append([v]);
        // cluster 0 holds {3, -1}: with a = 1 the score is q·max = 3, with a = 0 it is q·min = -1.
        Assert.Equal(3, bounds.Scores(2, [0], [1f], 1.0)[0]);
        Assert.Equal(-1, bounds.Scores(2, [0], [1f], 0.0)[0]);
        Assert.Equal(5, bounds.Scores(2, [1], [1f], 0.6)[0]);
    }
}
