using PrivateInference.Engine.CachePolicies;

namespace PrivateInference.Engine.Tests.CachePolicies;

public class CachePolicyOptionsTests
{
    [Theory]
    [InlineData(0.6, 3, 2)]
    [InlineData(0.5, 1, 1)]
    [InlineData(0.0, 0, 1)]
    [InlineData(1.0, 1, 0)]
    [InlineData(0.3, 3, 7)]
    public void The_tournament_weighs_the_bounds_by_the_nearest_small_fraction(double alpha, int max, int min)
    {
        var o = new CachePolicyOptions { Alpha = alpha };
        Assert.Equal((max, min), o.AlphaWeights);
        Assert.Equal(max / (double)(max + min), o.SelectionAlpha, 12);
    }

    [Fact]
    public void Every_alpha_is_within_half_a_sixteenth_of_its_weights_and_their_sum_stays_small()
    {
        for (int i = 0; i <= 1000; i++)
        {
            var o = new CachePolicyOptions { Alpha = i / 1000.0 };
            var (a, b) = o.AlphaWeights;
            Assert.InRange(a + b, 1, CachePolicyOptions.MaxWeightSum);
            Assert.True(Math.Abs(o.SelectionAlpha - o.Alpha) <= 1.0 / 32, $"alpha {o.Alpha}: {a}/{a + b}");
        }
    }
}
