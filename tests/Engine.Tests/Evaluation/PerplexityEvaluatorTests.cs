using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Tests.Evaluation;

public sealed class PerplexityEvaluatorTests
{
    [Fact]
    public void NllOfUniformLogitsIsLogVocabulary() =>
        Assert.Equal(Math.Log(4), PerplexityEvaluator.NegativeLogLikelihood([2f, 2f, 2f, 2f], 1), 9);

    [Fact]
    public void RealModelOnTheFirst12DevChunksMatchesTheReference()
    {
        var chunks = TextChunks.Split(TextChunks.ReadUtf8(SharedAssets.DevTextPath)).Take(12).ToList();
        var result = PerplexityEvaluator.Evaluate(Llama2cCheckpoint.Load(SharedAssets.ModelPath),
            Llama2cTokenizer.Load(SharedAssets.TokenizerPath), chunks);
        Assert.Equal(1355, result.PredictedTokens);
        Assert.Equal(1.417, Math.Round(result.MeanNll, 3));
        Assert.Equal(4.12, Math.Round(result.Perplexity, 2));
    }
}
