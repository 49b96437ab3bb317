using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Evaluation;

public sealed class ActivationRangesTests
{
    private static readonly IReadOnlyList<int>[] Sample = [[1, 400, 300, 200, 100, 50, 25]];

    [Fact]
    public void Scaling_the_residual_stream_scales_the_sums_of_squares_with_its_square_and_leaves_scores_alone()
    {
        var w = SharedAssets.Stories260K;
        var a = ActivationRanges.Measure(w, Sample);
        var b = ActivationRanges.Measure(ModelVariants.Scaled(w, residualScale: 16, scoreScale: 1), Sample);
        Assert.InRange(a.MaxSumSquares, 1, 1e4);
        // Σx² + d·eps: the eps term does not scale, so allow a little.
        Assert.InRange(b.MaxSumSquares / a.MaxSumSquares, 256 * 0.99, 256 * 1.01);
        Assert.InRange(b.MaxAbsScore / a.MaxAbsScore, 0.99, 1.01);
        Assert.True(a.MaxAbsScore > 0 && a.MaxAbsGate > 0);
    }

    [Fact]
    public void Scaling_the_scores_scales_the_largest_score()
    {
        var w = SharedAssets.Stories260K;
        var a = ActivationRanges.Measure(w, Sample);
        var b = ActivationRanges.Measure(ModelVariants.Scaled(w, residualScale: 1, scoreScale: 4), Sample);
        Assert.True(b.MaxAbsScore > 2 * a.MaxAbsScore, $"{b.MaxAbsScore} vs {a.MaxAbsScore}");
    }
}
