using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.KvCache;

public class KvCacheSpecTests
{
    private static readonly LlamaConfig Stories260K = SyntheticModels.Preset("stories260K");

    [Theory]
    [InlineData("plain", KvCacheKind.Fp32, null, 0)]
    [InlineData("fp16", KvCacheKind.Fp16, null, 0)]
    [InlineData("kivi:2", KvCacheKind.Kivi, 2, 128)]
    [InlineData("xquant:3:window=off", KvCacheKind.XQuant, 3, 0)]
    [InlineData("XQuant-CL:4:window=64", KvCacheKind.XQuantCl, 4, 64)]
    public void ParsesKindBitsAndWindow(string text, KvCacheKind kind, int? bits, int window)
    {
        var spec = KvCacheSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(bits, spec.Bits);
        Assert.Equal(window, spec.RecentWindow);
    }

    [Fact]
    public void DefaultWindowComesFromTheCaller()
    {
        Assert.Equal(0, KvCacheSpec.Parse("kivi:2", defaultWindow: 0).RecentWindow);
        Assert.Equal(16, KvCacheSpec.Parse("kivi:2:window=16", defaultWindow: 0).RecentWindow);
    }

    [Theory]
    [InlineData("kvquant:2", "unknown KV cache")]
    [InlineData("kivi", "needs a bit width")]
    [InlineData("xquant:5", "5 bits is not supported")]
    [InlineData("xquant:1", "1 bits is not supported")]
    [InlineData("fp16:4", "takes no bit width")]
    [InlineData("kivi:2:latent=off", "unknown option")]
    [InlineData("xquant:2:window=soon", "neither a token count nor 'off'")]
    public void RejectsBadSpecsWithAClearMessage(string text, string message)
    {
        var e = Assert.Throws<InputException>(() => KvCacheSpec.Parse(text));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void FootprintMatchesAHandCountForStories260K()
    {
        // kv_dim 32, 5 layers. fp16 K+V: 2 × 32 × 2 bytes = 128 per layer.
        // kivi:2 keys: 32 × 2 bits = 8 bytes + per-channel fp16 scale+zero over 32-token blocks (32 × 4 / 32 = 4);
        //        values: 8 bytes + one fp16 scale+zero for the 32-wide row (4): 24 bytes per layer, 120 per token.
        var kivi = KvCacheSpec.Parse("kivi:2").Footprint(Stories260K);
        Assert.Equal(120, kivi.BytesPerToken);
        Assert.Equal(24, kivi.BytesPerTokenPerLayer);
        Assert.Equal(640, kivi.Fp16BytesPerToken);
        Assert.Equal(128.0 / 24, kivi.RatioVsFp16, 12);
        Assert.Equal(640, kivi.RecentBytesPerToken);

        // xquant:3 on a GQA model caches two 32-wide latents: (12 + 4) + (12 + 4) = 32 bytes per layer.
        Assert.Equal(160, KvCacheSpec.Parse("xquant:3").Footprint(Stories260K).BytesPerToken);
        // Forced to cache X (64 wide, per token): 64 × 3 / 8 + 4 = 28 bytes per layer.
        Assert.Equal(140, KvCacheSpec.Parse("xquant:3:latent=off").Footprint(Stories260K).BytesPerToken);
        // xquant-cl:2: layers 0..2 at 4 bits (32 + 4), layers 3..4 at 2 bits (16 + 4).
        Assert.Equal(3 * 36 + 2 * 20, KvCacheSpec.Parse("xquant-cl:2").Footprint(Stories260K).BytesPerToken);
        Assert.Equal(1280, KvCacheSpec.Parse("fp32").Footprint(Stories260K).BytesPerToken);
    }

    [Fact]
    public void HeldBytesOfARunCacheMatchTheFootprint()
    {
        var weights = SharedAssets.Stories260K;
        var spec = KvCacheSpec.Parse("kivi:2:window=off");
        var cache = (IMeteredKvCache)spec.Factory(weights)();
        var model = new Engine.Plain.PlainTransformer(weights, cache);
        for (int pos = 0; pos < 64; pos++) model.Forward(1 + pos % 100, pos);
        // 64 tokens fill exactly two per-channel blocks, so the steady-state figure is exact.
        Assert.Equal(64 * spec.Footprint(weights.Config).BytesPerToken, cache.BytesHeld);
    }
}
