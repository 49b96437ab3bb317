using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Models;

public sealed class SyntheticModelsTests
{
    [Fact]
    public void SameSeedGivesTheSameWeights()
    {
        var config = SyntheticModels.Preset("stories260K");
        var a = SyntheticModels.Create(config, seed: 5);
        var b = SyntheticModels.Create(config, seed: 5);
        var c = SyntheticModels.Create(config, seed: 6);
        Assert.Equal(a.Wq, b.Wq);
        Assert.NotEqual(a.Wq, c.Wq);
    }

    [Fact]
    public void Gpt2SmallPresetHasThePublishedShape()
    {
        var c = SyntheticModels.Preset("gpt2-small", layers: 1);
        Assert.Equal((768, 3072, 1, 12, 16384), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.SeqLen));
    }

    [Fact]
    public void MpCachePaperPresetIsItsEfficiencyModel()
    {
        var c = SyntheticModels.Preset("mpcache-paper");
        Assert.Equal((1024, 4096, 1, 32, 32, 32), (c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.HeadSize));
    }

    [Fact]
    public void AnyShapeCanReplaceAPresetsSizes()
    {
        var c = SyntheticModels.Reshape(SyntheticModels.Preset("gpt2-small"), dim: 512, heads: 8, kvHeads: 2, hiddenDim: 1000, layers: 20, seqLen: 9000);
        Assert.Equal((512, 8, 2, 1000, 20, 9000), (c.Dim, c.Heads, c.KvHeads, c.HiddenDim, c.Layers, c.SeqLen));
        Assert.Equal(16, SyntheticModels.Reshape(SyntheticModels.Preset("gpt2-small"), heads: 16).KvHeads);
        Assert.Throws<InputException>(() => SyntheticModels.Reshape(SyntheticModels.Preset("gpt2-small"), heads: 7));
    }

    [Fact]
    public void Llama7bPresetHasThePublishedShape()
    {
        var c = SyntheticModels.Preset("llama-7b");
        Assert.Equal((4096, 11008, 32, 32), (c.Dim, c.HiddenDim, c.Layers, c.Heads));
    }

    [Fact]
    public void WeightsHaveUnitFanInVariance()
    {
        var w = SyntheticModels.Create(SyntheticModels.Preset("stories260K"), seed: 1);
        double variance = w.Wq.Average(v => (double)v * v) * 64;
        Assert.InRange(variance, 0.9, 1.1);
    }

    [Fact]
    public void UnknownPresetAndBadLayerCountAreInputErrors()
    {
        Assert.Throws<InputException>(() => SyntheticModels.Preset("gpt5"));
        Assert.Throws<InputException>(() => SyntheticModels.Preset("gpt2-small", layers: 13));
    }
}
