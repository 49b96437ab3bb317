using PrivateInference.Engine.Generation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Sampling;

namespace PrivateInference.Engine.Tests.Models;

public sealed class ModelVariantsTests
{
    [Fact]
    public void A_scaled_residual_stream_leaves_the_greedy_text_unchanged()
    {
        var w = SharedAssets.Stories260K;
        var scaled = ModelVariants.Scaled(w, residualScale: 256, scoreScale: 1);
        var a = new TextGenerator(new PlainTransformer(w), new Sampler(0, 0.9f, 1)).Generate([1], 24).ToList();
        var b = new TextGenerator(new PlainTransformer(scaled), new Sampler(0, 0.9f, 1)).Generate([1], 24).ToList();
        Assert.Equal(a, b);
        Assert.Equal(w.TokenEmbedding[5] * 256, scaled.TokenEmbedding[5]);
    }

    [Fact]
    public void A_nonpositive_scale_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelVariants.Scaled(SharedAssets.Stories260K, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelVariants.Scaled(SharedAssets.Stories260K, 1, float.NaN));
    }
}
