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

    /// <summary>A 20-token prompt whose last query (the window) gives token t the attention u_t / 64 in every head
    /// (u a shuffle of 1..20, on the fixed-point grid): its window sum over the 4 heads is u_t / 16.</summary>
    private static (PlainCachePolicy Policy, int[] U) ThresholdPrompt(string spec)
    {
        var shape = new LlamaConfig(Dim: 16, HiddenDim: 8, Layers: 1, Heads: 4, KvHeads: 2, VocabSize: 8, SeqLen: 64);
        const int p = 20;
        var policy = new PlainCachePolicy(shape, CachePolicyOptions.Parse(spec), p);
        var u = Enumerable.Range(1, p).OrderBy(i => (i * 7) % p).ToArray();
        var keys = Enumerable.Range(0, (p + 1) * shape.KvDim).Select(i => (float)(i % 5 - 2)).ToArray();
        var none = new float[shape.Heads * shape.HeadSize];
        for (int pos = 0; pos < p; pos++)
        {
            policy.BeginLayer(0, pos, none, keys);
            for (int h = 0; h < shape.Heads; h++)
                policy.ObserveAttention(0, pos, h, Enumerable.Range(0, pos + 1).Select(t => pos == p - 1 ? u[t] / 64f : 0f).ToArray());
        }
        policy.BeginLayer(0, p, none, keys);
        return (policy, u);
    }

    [Fact]
    public void StaticEvictionByThresholdKeepsTheRatiosSlotsAndDropsThoseBelow()
    {
        // The ratio keeps the 10 best (u = 11..20); a threshold of 15/64 (averaged) drops u = 11..14 of them.
        var (policy, u) = ThresholdPrompt($"static:keep=0.5,min=0,window=0.05,threshold={15 / 64.0}");
        var expected = Enumerable.Range(0, 20).Where(t => u[t] >= 15).Append(20).ToArray();
        for (int g = 0; g < 2; g++) Assert.Equal(expected, policy.AttendedPositions(g).ToArray());
        // keep=1: no cap below the prompt, every token at or above the threshold (the paper's rule).
        var (all, u1) = ThresholdPrompt($"static:keep=1,min=0,window=0.05,threshold={7 / 64.0}");
        Assert.Equal(Enumerable.Range(0, 20).Where(t => u1[t] >= 7).Append(20), all.AttendedPositions(0).ToArray());
        // A threshold no token reaches leaves the new token alone.
        var (none, _) = ThresholdPrompt("static:keep=0.5,min=0,window=0.05,threshold=0.9");
        Assert.Equal([20], none.AttendedPositions(1).ToArray());
    }

    [Fact]
    public void ThresholdOptionsParseBesideTheRatio()
    {
        var o = CachePolicyOptions.Parse("mpcache:threshold=0.004,keep=0.5");
        Assert.Equal(0.004, o.StaticThreshold);
        Assert.Equal(0.5, o.StaticKeep);                                     // the public cap
        Assert.Null(CachePolicyOptions.Parse("mpcache").StaticThreshold);   // the default stays the ratio alone
        Assert.Contains("below attention 0.004 masked", o.ToString());
        Assert.Equal(2, CachePolicyOptions.ParseList("full;static:threshold=0.01").Count);
    }

    [Theory]
    [InlineData("mpcache:threshold=0", "threshold must be a number in (0, 1]")]
    [InlineData("mpcache:threshold=1.5", "threshold must be a number in (0, 1]")]
    [InlineData("mpcache:threshold=-0.1", "threshold must be a number in (0, 1]")]
    [InlineData("mpcache:threshold=abc", "threshold must be a number in (0, 1]")]
    [InlineData("mpcache:threshold=", "threshold must be a number in (0, 1]")]
    [InlineData("dynamic:threshold=0.01", "threshold is for static eviction (mpcache, static), not dynamic")]
    [InlineData("topk:threshold=0.01", "not topk")]
    [InlineData("full:threshold=0.01", "not full")]
    [InlineData("h2o:threshold=0.01", "not h2o")]
    public void BadThresholdsAreOneLineInputErrors(string spec, string message)
    {
        var e = Assert.Throws<InputException>(() => CachePolicyOptions.Parse(spec));
        Assert.Contains(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("mpcache:keep=2")]
    [InlineData("mpcache:cluster=24,child=16")]
    [InlineData("mpcache:what=1")]
    public void BadSpecsAreInputErrors(string spec) => Assert.Throws<InputException>(() => CachePolicyOptions.Parse(spec));
}
