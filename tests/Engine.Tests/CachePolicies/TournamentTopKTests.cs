using PrivateInference.Engine.CachePolicies;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class TournamentTopKTests
{
    [Fact]
    public void EachStridedBucketKeepsItsFirstBest()
    {
        // 7 candidates in 3 buckets: {0, 3, 6}, {1, 4}, {2, 5}; bucket 1 ties (4 and 1 both 5): the earlier wins.
        double[] scores = [1, 5, 9, 2, 5, 0, 8];
        Assert.Equal([6, 1, 2], TournamentTopK.Winners(scores, 3));
        Assert.Equal(3, TournamentTopK.Width(7, 3));
    }

    [Fact]
    public void ForcedIdsComeFirstAndAWholeBudgetTakesEveryCandidate()
    {
        double[] scores = [0, 3, 1, 2, 0];
        Assert.Equal([4, 0, 1], TournamentTopK.PickWithForced(i => scores[i], [4, 0], [1, 2, 3], 3));
        Assert.Equal([4, 0, 1, 2, 3], TournamentTopK.PickWithForced(i => scores[i], [4, 0], [1, 2, 3], 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => TournamentTopK.Width(3, 3));
    }
}
