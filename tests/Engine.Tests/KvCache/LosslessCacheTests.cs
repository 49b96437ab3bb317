using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Tests.KvCache;

/// <summary>With quantization off every cache must reproduce the fp32 engine: the rematerialization paths (X, SVD
/// latent, cross-layer deltas with the accumulator) are exact up to float rounding.</summary>
public class LosslessCacheTests
{
    private const int Positions = 96;

    public static TheoryData<string> Caches => new() { "xquant-x", "xquant-latent", "xquant-cl", "kivi" };

    [Theory]
    [MemberData(nameof(Caches))]
    public void QuantizationOffReproducesFp32Logits(string cache)
    {
        var weights = SharedAssets.Stories260K;
        AssertMatchesFp32(weights, Create(cache, weights, window: 0));
    }

    [Theory]
    [MemberData(nameof(Caches))]
    public void QuantizationOffReproducesFp32LogitsOnAMultiHeadModel(string cache)
    {
        var weights = SyntheticModels.Create(new LlamaConfig(64, 128, 4, 4, 4, 96, 128), seed: 11);
        AssertMatchesFp32(weights, Create(cache, weights, window: 0));
    }

    [Fact]
    public void XQuantClWithAWindowLongerThanTheTextStaysWithinFp16OfFp32()
    {
        var weights = SharedAssets.Stories260K;
        var fp32 = new PlainTransformer(weights);
        var cl = new PlainTransformer(weights, new XQuantClCache(weights, 2, window: 512));
        for (int pos = 0; pos < Positions; pos++)
        {
            var expected = fp32.Forward(Token(pos, weights), pos).ToArray();
            var actual = cl.Forward(Token(pos, weights), pos);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 0.05f, $"pos {pos}, logit {i}: {actual[i]} vs {expected[i]}");
        }
    }

    private static IKvCache Create(string cache, LlamaWeights weights, int window) => cache switch
    {
        "xquant-x" => new XQuantCache(weights, null, window, latents: null),
        "xquant-latent" => new XQuantCache(weights, null, window, XQuantLatents.Of(weights)),
        "xquant-cl" => new XQuantClCache(weights, null, window),
        _ => new KiviKvCache(weights.Config, null, window),
    };

    private static int Token(int pos, LlamaWeights weights) => (pos * 37 + 5) % weights.Config.VocabSize;

    private static void AssertMatchesFp32(LlamaWeights weights, IKvCache cache)
    {
        var fp32 = new PlainTransformer(weights);
        var other = new PlainTransformer(weights, cache);
        int positions = Math.Min(Positions, weights.Config.SeqLen);
        for (int pos = 0; pos < positions; pos++)
        {
            var expected = fp32.Forward(Token(pos, weights), pos).ToArray();
            var actual = other.Forward(Token(pos, weights), pos);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-4f, $"pos {pos}, logit {i}: {actual[i]} vs {expected[i]}");
        }
    }
}
