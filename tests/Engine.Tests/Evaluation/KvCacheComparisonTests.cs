using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Tests.Evaluation;

public class KvCacheComparisonTests
{
    private static Llama2cTokenizer Tokenizer() => Llama2cTokenizer.Load(SharedAssets.TokenizerPath);

    private static readonly string[] Chunks =
    [
        "Once upon a time, there was a little dog named Max. Max liked to run in the park with his friend Sam.",
        "Lily saw a big red ball. She wanted to play with it, so she asked her mom. Her mom said yes and smiled.",
    ];

    [Fact]
    public void Fp32AgreesWithItselfAndCostsNoRematerialization()
    {
        var weights = SharedAssets.Stories260K;
        var tokenizer = Tokenizer();
        var reference = KvCacheComparison.GreedyReference(weights, 24);
        var row = KvCacheComparison.Run("stories260K", KvCacheSpec.Fp32, weights, tokenizer, Chunks, reference, fp32: null);
        Assert.Equal(1.0, row.Agreement);
        Assert.Equal(24, row.MatchingPrefix);
        Assert.Equal(0, row.RematFlopsPerToken);
        Assert.Equal(1280, row.CacheBytesPerToken);
        Assert.Null(row.PerplexityChangePercent);
    }

    [Fact]
    public void QuantizedRowReportsItsCostsAgainstTheFp32Baseline()
    {
        var weights = SharedAssets.Stories260K;
        var tokenizer = Tokenizer();
        var reference = KvCacheComparison.GreedyReference(weights, 24);
        var baseline = PerplexityEvaluator.Evaluate(weights, tokenizer, Chunks);
        var row = KvCacheComparison.Run("stories260K", KvCacheSpec.Parse("xquant-cl:3:window=off"), weights, tokenizer, Chunks,
            reference, baseline);
        Assert.Equal("xquant-cl:3", row.Cache);
        Assert.Equal("off", row.RecentWindow);
        Assert.Equal(1.0, row.QuantizedShare);
        Assert.Equal(100 * (row.Perplexity / baseline.Perplexity - 1), row.PerplexityChangePercent!.Value, 9);
        Assert.True(row.RematFlopsPerToken > 0);
        Assert.Equal(640.0 / row.CacheBytesPerToken, row.RatioVsFp16, 9);
        Assert.InRange(row.Agreement, 0.5, 1.0);
    }
}
