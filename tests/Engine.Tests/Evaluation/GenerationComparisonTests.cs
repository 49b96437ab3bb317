using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Private;

namespace PrivateInference.Engine.Tests.Evaluation;

public class GenerationComparisonTests
{
    private static GenerationRun Run(string mode, int[] tokens, double[] decodeMs, double logitShift = 0) => new()
    {
        Mode = mode,
        Tokens = [.. tokens],
        Logits = tokens.Select(t => new[] { t + logitShift, -t - logitShift }).ToList(),
        PrefillMs = 10,
        DecodeMs = [.. decodeMs],
    };

    [Fact]
    public void Each_mode_is_measured_against_the_first_agreement_divergence_logit_error_slowdown_and_private_costs()
    {
        var plain = new ComparedGeneration(Run("fp32", [5, 6, 7, 8], [1, 1, 1]), null);
        var cost = new PrivateRunSummary(4, 50, 20, 30, [100, 100, 100], [2048, 1024, 4096], [7, 7, 9], [10, 10, 10], [0, 0, 0]);
        var priv = new ComparedGeneration(Run("private:3", [5, 6, 9, 8], [20, 20, 40], logitShift: 0.25), cost);

        var rows = GenerationComparison.Compare([plain, priv]);

        Assert.Equal(1.0, rows[0].Agreement);
        Assert.Null(rows[0].FirstDivergence);
        Assert.Equal(1.0, rows[0].Slowdown);
        Assert.Null(rows[0].BytesSentPerParty);
        Assert.Equal(0.75, rows[1].Agreement);
        Assert.Equal(2, rows[1].FirstDivergence);
        Assert.Equal(20, rows[1].Slowdown);
        Assert.Equal([2048L, 1024, 4096], rows[1].BytesSentPerParty!);
        Assert.Equal(9, rows[1].Rounds);
        Assert.True(rows[1].MaxLogitError > 0);
        // The error's scale: the reference's largest |logit| over the steps compared (up to the divergence: 5, 6, 7).
        Assert.Equal(7, rows[1].MaxReferenceLogit);
    }
}
