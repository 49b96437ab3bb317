using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class PrivateCachePolicyTests
{
    private static readonly LlamaConfig Shape = new(Dim: 16, HiddenDim: 8, Layers: 1, Heads: 4, KvHeads: 2, VocabSize: 8, SeqLen: 512);

    [Theory]
    [InlineData(SchemeKind.ThreePc, "dynamic", 200)]
    [InlineData(SchemeKind.TwoPcDealer, "dynamic", 200)]
    [InlineData(SchemeKind.ThreePc, "dynamic:hierarchy=off,min=0", 150)]
    [InlineData(SchemeKind.ThreePc, "dynamic:cluster=8,child=4,l1=0.4,l2=0.3,min=0", 61)]
    [InlineData(SchemeKind.ThreePc, "dynamic:cluster=8,child=4,l1=0.4,l2=0.3,min=0,select=rank", 61)]
    // A model's narrow score domain (here 2^6: |q·k| ≤ 16 for these values) narrows the tournament's keys.
    [InlineData(SchemeKind.ThreePc, "dynamic", 200, 6)]
    [InlineData(SchemeKind.TwoPcDealer, "dynamic:hierarchy=off,min=0", 150, 6)]
    public void PrivateSelectionPicksThePlaintextClusters(SchemeKind scheme, string spec, int n, int scoreLog2 = MpcContext.NonlinearRangeLog2)
    {
        var options = CachePolicyOptions.Parse(spec);
        int kvh = Shape.KvHeads, g = Shape.KvGroup, hs = Shape.HeadSize;
        var rng = new Random(n);
        // Values on a 1/8 grid keep every score far apart compared with the fixed-point error.
        double Grid() => Math.Round((rng.NextDouble() * 2 - 1) * 16) / 8;
        var keys = Enumerable.Range(0, kvh * n * hs).Select(_ => Grid()).ToArray();
        var queries = Enumerable.Range(0, kvh * g * hs).Select(_ => Grid()).ToArray();

        var oneHot = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var k = ctx.Input(PartyIds.Client, [kvh, n, hs], client ? keys : default);
            var q = ctx.Input(PartyIds.Client, [kvh, g, hs], client ? queries : default);
            var policy = new PrivateCachePolicy(ctx, Shape, options, promptLength: 1);
            return ctx.Reveal(policy.SelectChildrenOneHot(0, q, k), PartyIds.Client);
        }, new MpcOptions { ScoreRangeLog2 = scoreLog2 })[3]!;

        int children = CacheBudgets.Clusters(n, options.ChildClusterSize), kept = oneHot.Length / kvh / children;
        for (int h = 0; h < kvh; h++)
        {
            var bounds = new ClusterBounds(hs, options.ChildClusterSize);
            for (int t = 0; t < n; t++) bounds.Append(keys.AsSpan((h * n + t) * hs, hs).ToArray().Select(v => (float)v).ToArray());
            var qsum = new float[hs];
            for (int j = 0; j < g; j++) for (int i = 0; i < hs; i++) qsum[i] += (float)queries[(h * g + j) * hs + i];
            var expectedTokens = ClusterSelection.Select(options, bounds, qsum);
            var expectedChildren = expectedTokens.Select(t => t / options.ChildClusterSize).Distinct().ToList();
            var actualChildren = Enumerable.Range(0, kept)
                .Select(b => Enumerable.Range(0, children).Single(c => oneHot[(h * kept + b) * children + c] == 1)).ToList();
            // The attention takes the newest child from row 0 (its padding is at public positions).
            Assert.Equal(children - 1, actualChildren[0]);
            Assert.Equal(expectedChildren, actualChildren.Order().ToList());
        }
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    [InlineData(SchemeKind.ThreePc, 7)]          // |q·k| ≤ 32 per head here
    public void PrivateTopKBaselinePicksThePlaintextTokens(SchemeKind scheme, int scoreLog2 = MpcContext.NonlinearRangeLog2)
    {
        const int n = 90;
        var options = CachePolicyOptions.Parse("topk:min=0");
        int kvh = Shape.KvHeads, g = Shape.KvGroup, hs = Shape.HeadSize;
        var rng = new Random(9);
        // Resampled until every two token scores lie 10⁻⁴ apart, far above the fixed-point error.
        double[] keys, queries;
        do
        {
            keys = Enumerable.Range(0, kvh * n * hs).Select(_ => rng.NextDouble() * 8 - 4).ToArray();
            queries = Enumerable.Range(0, kvh * g * hs).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        } while (Enumerable.Range(0, kvh).Any(h => TokenScores(keys, queries, h, n).Order().ToArray() is var s && s.Zip(s.Skip(1)).Any(p => p.Second - p.First < 1e-4)));
        var oneHot = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var k = ctx.Input(PartyIds.Client, [kvh, n, hs], client ? keys : default);
            var q = ctx.Input(PartyIds.Client, [kvh, g, hs], client ? queries : default);
            var selected = new PrivateCachePolicy(ctx, Shape, options, promptLength: 1).Select(0, q, k)!;
            Assert.Equal(1, selected.ChildSize);
            return ctx.Reveal(selected.OneHot, PartyIds.Client);
        }, new MpcOptions { ScoreRangeLog2 = scoreLog2 })[3]!;
        int budget = CacheBudgets.BaselineKept(options, n);
        for (int h = 0; h < kvh; h++)
        {
            var s = TokenScores(keys, queries, h, n);
            var expected = TournamentTopK.PickWithForced(t => s[t], [n - 1], Enumerable.Range(0, n - 1).ToList(), budget);
            var actual = Enumerable.Range(0, budget).Select(b => Enumerable.Range(0, n).Single(t => oneHot[(h * budget + b) * n + t] == 1)).ToList();
            Assert.Equal(expected, actual);
        }
    }

    private static double[] TokenScores(double[] keys, double[] queries, int h, int n)
    {
        int g = Shape.KvGroup, hs = Shape.HeadSize;
        return Enumerable.Range(0, n).Select(t => Enumerable.Range(0, g).Sum(j => Enumerable.Range(0, hs)
            .Sum(i => queries[(h * g + j) * hs + i] * keys[(h * n + t) * hs + i]))).ToArray();
    }

    /// <param name="edgeLayers">Layers at each end that select for themselves: with 1, stories260K's layer 2 takes layer
    /// 1's selection, across the change of helper roles between its blocks of layers (PrivateTransformer.HelperShift).</param>
    [Theory]
    [InlineData(SchemeKind.ThreePc, 2)]
    [InlineData(SchemeKind.TwoPcDealer, 2)]
    [InlineData(SchemeKind.ThreePc, 1)]
    public void PrivateMpCacheGenerationMatchesItsPlaintextSimulation(SchemeKind scheme, int edgeLayers)
    {
        var weights = Llama2cCheckpoint.Load(SharedAssets.ModelPath);
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        // Cut mid-story so that the continuation is text, not the end of a story.
        var text = string.Join("\n", TextChunks.Split(TextChunks.ReadUtf8(SharedAssets.DevTextPath)).Take(3))[..600];
        var prompt = tokenizer.Encode(text);
        Assert.True(prompt.Count > 130, $"prompt of {prompt.Count} tokens is too short to select from");
        var options = CachePolicyOptions.Parse("mpcache") with { SelfSelectingEdgeLayers = edgeLayers };
        if (edgeLayers == 1)
            Assert.True(PrivateTransformer.HelperShift(1, weights.Config.Layers) != PrivateTransformer.HelperShift(2, weights.Config.Layers)
                        && CacheBudgets.SelectingLayer(options, 2, weights.Config.Layers) == 1, "layer 2 reuses layer 1's selection across a change of roles");
        var plain = new PlainTransformer(weights, attention: new PlainCachePolicy(weights.Config, options, prompt.Count));
        var expected = CachePolicyAccuracy.Greedy(plain, prompt, prompt.Count, 6);
        Assert.DoesNotContain(Llama2cTokenizer.Bos, expected);

        var results = InProcessPrivateRun.Generate(scheme, weights, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 6, cache: options);
        Assert.Equal(expected, results[Array.IndexOf(InProcessPrivateRun.Participants, PartyIds.Client)].Tokens);
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void PrivateThresholdGenerationMatchesItsPlaintextSimulation(SchemeKind scheme)
    {
        var weights = Llama2cCheckpoint.Load(SharedAssets.ModelPath);
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        var text = string.Join("\n", TextChunks.Split(TextChunks.ReadUtf8(SharedAssets.DevTextPath)).Take(3))[..600];
        var prompt = tokenizer.Encode(text);
        // Of the ratio's 128 slots per layer, this threshold drops about two thirds, and it lies at least 1% (of the
        // bound) from every kept slot's window sum in every layer: the private probabilities' fixed-point error would have
        // to move a sum of 488 of them by 1% to decide a slot otherwise than the plaintext.
        var options = CachePolicyOptions.Parse("mpcache:threshold=0.007");
        var policy = new PlainCachePolicy(weights.Config, options, prompt.Count);
        var expected = CachePolicyAccuracy.Greedy(new PlainTransformer(weights, attention: policy), prompt, prompt.Count, 6);
        for (int l = 0; l < weights.Config.Layers; l++)
        {
            var (all, sums, bound) = policy.StaticSlots(l);
            var kept = all!.Where(p => p < prompt.Count).ToList();
            int dropped = kept.Count(p => sums![p] < bound);
            Assert.True(dropped > 0 && dropped < kept.Count, $"layer {l}: {dropped} of {kept.Count} slots dropped");
            Assert.True(kept.All(p => Math.Abs(sums![p] - bound) > 0.01 * bound), $"layer {l}: a window sum lies within 1% of the bound");
        }
        // The mask decides the text: with the ratio alone the same 6 tokens differ.
        var ratio = new PlainTransformer(weights, attention: new PlainCachePolicy(weights.Config, CachePolicyOptions.Parse("mpcache"), prompt.Count));
        Assert.NotEqual(CachePolicyAccuracy.Greedy(ratio, prompt, prompt.Count, 6), expected);

        var results = InProcessPrivateRun.Generate(scheme, weights, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 6, cache: options);
        Assert.Equal(expected, results[Array.IndexOf(InProcessPrivateRun.Participants, PartyIds.Client)].Tokens);
    }
}
