using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Evaluation;

public sealed class PrivateCoverageTests
{
    private static readonly IReadOnlyList<int>[] Sample = [[1, 400, 300, 200, 100, 50, 25]];

    [Fact]
    public void The_real_model_lies_inside_the_private_ranges() =>
        Assert.Null(PrivateCoverage.Check(ActivationRanges.Measure(SharedAssets.Stories260K, Sample)));

    [Fact]
    public void A_model_whose_sums_of_squares_pass_2_to_the_28_is_refused_with_one_line_naming_the_range()
    {
        var r = ActivationRanges.Measure(ModelVariants.Scaled(SharedAssets.Stories260K, residualScale: 4096, scoreScale: 1), Sample);
        var problem = PrivateCoverage.Check(r);
        Assert.NotNull(problem);
        Assert.Contains("2^-4..2^28", problem);
        Assert.DoesNotContain("\n", problem);
    }
}
