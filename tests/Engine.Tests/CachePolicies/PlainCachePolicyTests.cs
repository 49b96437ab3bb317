using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class PlainCachePolicyTests
{
    private static readonly Lazy<LlamaWeights> Model = new(() => Llama2cCheckpoint.Load(SharedAssets.ModelPath));

    private static float[][] Run(IAttentionPolicy? policy, int positions)
    {
        var m = new PlainTransformer(Model.Value, attention: policy);
        return Enumerable.Range(0, positions).Select(p => m.Forward((p * 37 + 11) % 512, p).ToArray()).ToArray();
    }

    [Fact]
    public void FullPolicyMatchesTheDefaultEngineExactly()
    {
        var expected = Run(null, 80);
        var actual = Run(new PlainCachePolicy(Model.Value.Config, new CachePolicyOptions(), promptLength: 40), 80);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void KeepingEverythingIsLossless()
    {
        var keepAll = CachePolicyOptions.Parse("mpcache:keep=1,l1=1,l2=1");
        Assert.Equal(Run(null, 80), Run(new PlainCachePolicy(Model.Value.Config, keepAll, promptLength: 40), 80));
    }

    [Fact]
    public void MpCacheAttendsOnlyToItsBudgetAfterThePrompt()
    {
        var policy = new PlainCachePolicy(Model.Value.Config, CachePolicyOptions.Parse("mpcache:min=0"), promptLength: 300);
        var m = new PlainTransformer(Model.Value, attention: policy);
        for (int p = 0; p < 301; p++) m.Forward((p * 37 + 11) % 512, p);
        // 90 kept prompt tokens + 1 new = 91: 3 clusters of 32 -> keep 2; 6 children -> keep max(2, ceil(0.2*6)) = 2.
        Assert.True(policy.AttendedCount(0) <= 32, $"attended {policy.AttendedCount(0)}");
        Assert.Contains(300, policy.AttendedPositions(0).ToArray()); // the newest token is in the last cluster
    }

    [Fact]
    public void StaticEvictionKeepsTheHighestScoringPositions() =>
        Assert.Equal([1, 3], PlainCachePolicy.TopPositions([0.1, 0.5, 0.2, 0.9], 4, 2));

    [Fact]
    public void StaticEvictionByThresholdKeepsThePassingTokensPaddedToAStep()
    {
        // 20 tokens, scores 0.01·(t + 1): 0.15 and above passes (t ≥ 14, 6 tokens); steps of 4 above the floor 1.
        var o = CachePolicyOptions.Parse("static:threshold=0.145,child=4,cluster=4,min=0");
        var scores = Enumerable.Range(0, 20).Select(t => 0.01 * (t + 1)).ToArray();
        Assert.Equal([1, 4, 8, 12, 16, 20], CacheBudgets.StaticKeptSteps(o, 20));
        int count = PlainCachePolicy.StaticCount(o, scores, 20);
        Assert.Equal(8, count);
        Assert.Equal([12, 13, 14, 15, 16, 17, 18, 19], PlainCachePolicy.TopPositions(scores, 20, count));
        Assert.Equal(1, PlainCachePolicy.StaticCount(o with { StaticThreshold = 0.5 }, scores, 20));    // none passes: the floor
        Assert.Equal(6, PlainCachePolicy.StaticCount(o with { StaticThreshold = null, StaticKeep = 0.3 }, scores, 20)); // by ratio
    }

    [Fact]
    public void ThresholdOptionsParse()
    {
        var o = CachePolicyOptions.Parse("mpcache:threshold=0.004,min=0");
        Assert.Equal(0.004, o.StaticThreshold);
        Assert.Null(CachePolicyOptions.Parse("mpcache").StaticThreshold);   // the default stays the ratio
        Assert.Equal(0.3, CachePolicyOptions.Parse("mpcache").StaticKeep);
        Assert.Contains("attention >= 0.004", o.ToString());
        Assert.Equal(2, CachePolicyOptions.ParseList("full;static:threshold=0.01").Count);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("mpcache:threshold=0")]
    [InlineData("mpcache:threshold=1.5")]
    [InlineData("mpcache:threshold=-0.1")]
    [InlineData("mpcache:threshold=abc")]
    [InlineData("mpcache:threshold=")]
    [InlineData("mpcache:keep=0.3,threshold=0.01")]
    [InlineData("dynamic:threshold=0.01")]
    [InlineData("topk:threshold=0.01")]
    [InlineData("mpcache:keep=2")]
    [InlineData("mpcache:cluster=24,child=16")]
    [InlineData("mpcache:what=1")]
    public void BadSpecsAreInputErrors(string spec) => Assert.Throws<InputException>(() => CachePolicyOptions.Parse(spec));
}
