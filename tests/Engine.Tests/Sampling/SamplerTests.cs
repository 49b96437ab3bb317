using PrivateInference.Engine.Sampling;

namespace PrivateInference.Engine.Tests.Sampling;

public sealed class SamplerTests
{
    [Fact]
    public void ZeroTemperatureIsArgmax() =>
        Assert.Equal(2, new Sampler(0, 0.9f, 1).Sample([0.1f, 0.5f, 3f, -1f]));

    [Fact]
    public void SameSeedGivesTheSameSequence()
    {
        float[] logits = [1f, 1.2f, 0.8f, 1.1f, 0.9f];
        var a = new Sampler(1f, 0f, 42);
        var b = new Sampler(1f, 0f, 42);
        var sa = Enumerable.Range(0, 50).Select(_ => a.Sample(logits)).ToList();
        var sb = Enumerable.Range(0, 50).Select(_ => b.Sample(logits)).ToList();
        Assert.Equal(sa, sb);
        Assert.True(sa.Distinct().Count() > 1, "a flat distribution should not always give the same token");
    }

    [Fact]
    public void TopPKeepsOnlyTheNucleus()
    {
        // probabilities ≈ [0.95, 0.05 split over the rest]: with top-p 0.9 only token 0 is in the nucleus.
        float[] logits = [5f, 0f, 0f, 0f];
        var s = new Sampler(1f, 0.9f, 3);
        Assert.All(Enumerable.Range(0, 200), _ => Assert.Equal(0, s.Sample(logits)));
    }

    [Fact]
    public void FrequenciesFollowTheSoftmax()
    {
        float[] logits = [0f, (float)Math.Log(3)]; // probabilities 1/4 and 3/4
        var s = new Sampler(1f, 0f, 9);
        double ones = Enumerable.Range(0, 4000).Count(_ => s.Sample(logits) == 1) / 4000.0;
        Assert.InRange(ones, 0.72, 0.78);
    }

    [Fact]
    public void InvalidSettingsAreInputErrors()
    {
        Assert.Throws<InputException>(() => new Sampler(-1, 0.9f, 1));
        Assert.Throws<InputException>(() => new Sampler(1, 1.5f, 1));
    }
}
