using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Tests.KvCache;

public class Fp16KvCacheTests
{
    [Fact]
    public void LogitsStayWithinFp16RoundingOfFp32()
    {
        var weights = SharedAssets.Stories260K;
        var fp32 = new PlainTransformer(weights);
        var fp16 = new PlainTransformer(weights, new Fp16KvCache(weights.Config));
        for (int pos = 0; pos < 64; pos++)
        {
            var expected = fp32.Forward((pos * 13 + 1) % 512, pos).ToArray();
            var actual = fp16.Forward((pos * 13 + 1) % 512, pos);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 0.02f, $"pos {pos}, logit {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void HoldsTwoFp16RowsPerLayerAndToken()
    {
        var weights = SharedAssets.Stories260K;
        var cache = new Fp16KvCache(weights.Config);
        var model = new PlainTransformer(weights, cache);
        for (int pos = 0; pos < 10; pos++) model.Forward(1, pos);
        Assert.Equal(10L * 5 * 2 * 32 * 2, cache.BytesHeld);
    }
}
