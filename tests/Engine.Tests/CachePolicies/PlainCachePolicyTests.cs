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

    [Theory]
    [InlineData("bogus")]
    [InlineData("mpcache:keep=2")]
    [InlineData("mpcache:cluster=24,child=16")]
    [InlineData("mpcache:what=1")]
    public void BadSpecsAreInputErrors(string spec) => Assert.Throws<InputException>(() => CachePolicyOptions.Parse(spec));
}
