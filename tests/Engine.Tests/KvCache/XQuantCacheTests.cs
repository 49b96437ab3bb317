using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Tests.KvCache;

public class XQuantCacheTests
{
    [Fact]
    public void RematerializationFlopsCountEveryCachedPositionAtEveryStep()
    {
        var weights = SharedAssets.Stories260K;
        var c = weights.Config;
        var cache = new XQuantCache(weights, 2, window: 0, XQuantLatents.Of(weights));
        var model = new PlainTransformer(weights, cache);
        const int positions = 20;
        for (int pos = 0; pos < positions; pos++) model.Forward(3, pos);
        // Step p rebuilds p + 1 positions in each layer; a latent position costs K and V (2 × 32 × 32 multiply-adds each)
        // plus RoPE on the key (3 FLOPs per element).
        long perPosition = 2 * 2 * 32 * 32 + 3 * 32;
        Assert.Equal(perPosition, XQuantCache.RematerializationFlopsPerPosition(c, latent: true));
        Assert.Equal(c.Layers * perPosition * (positions * (positions + 1) / 2), cache.RematerializationFlops);
        Assert.Equal(c.Layers * (positions * (positions + 1) / 2), cache.QuantizedAttendedEntries);
    }

    [Fact]
    public void RecentWindowKeepsTheNewestTokensUnquantized()
    {
        var weights = SharedAssets.Stories260K;
        var c = weights.Config;
        var cache = new XQuantCache(weights, 2, window: 8, XQuantLatents.Of(weights));
        var model = new PlainTransformer(weights, cache);
        for (int pos = 0; pos < 20; pos++) model.Forward(3, pos);
        // At step p (p + 1 cached positions) the oldest max(0, p + 1 - 8) are quantized.
        long quantized = Enumerable.Range(0, 20).Sum(p => Math.Max(0, p + 1 - 8));
        Assert.Equal(c.Layers * quantized, cache.QuantizedAttendedEntries);
        Assert.Equal(c.Layers * (20 * 21 / 2), cache.AttendedEntries);
    }

    [Fact]
    public void QuantizedCachesChangeTheLogitsButKeepThemClose()
    {
        var weights = SharedAssets.Stories260K;
        foreach (var text in new[] { "kivi:4:window=off", "xquant:4:window=off", "xquant-cl:4:window=off" })
        {
            var fp32 = new PlainTransformer(weights);
            var quantized = new PlainTransformer(weights, KvCacheSpec.Parse(text).Factory(weights)());
            float worst = 0;
            for (int pos = 0; pos < 48; pos++)
            {
                var expected = fp32.Forward((pos * 11 + 2) % 512, pos).ToArray();
                var actual = quantized.Forward((pos * 11 + 2) % 512, pos);
                for (int i = 0; i < expected.Length; i++) worst = MathF.Max(worst, MathF.Abs(expected[i] - actual[i]));
            }
            Assert.InRange(worst, 1e-4f, 5f);
        }
    }
}
