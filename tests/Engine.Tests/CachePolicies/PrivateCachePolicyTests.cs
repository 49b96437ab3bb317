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
    public void PrivateSelectionPicksThePlaintextClusters(SchemeKind scheme, string spec, int n)
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
        })[3]!;

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
    public void PrivateStaticEvictionByThresholdKeepsThePlaintextTokens(SchemeKind scheme)
    {
        // 64 prompt tokens whose window score is u_t / 4096 for a shuffled u = 1..64 (every head and window query gives
        // token t the same attention, on the fixed-point grid, so the private sums are exact). The threshold lies between
        // u = 53 and 54: 11 tokens pass, the public step is 16 (child clusters of 8, no floor), so the 5 next-best
        // (u = 49..53) fill it.
        const int p = 64;
        var options = CachePolicyOptions.Parse($"static:threshold={53.5 / 4096:R},child=8,cluster=8,min=0");
        int kvh = Shape.KvHeads, hs = Shape.HeadSize, h = Shape.Heads, w = CacheBudgets.ObservationQueries(options, p);
        var rng = new Random(5);
        var u = Enumerable.Range(1, p).OrderBy(_ => rng.Next()).ToArray();
        var probs = new double[h * p * p];
        for (int head = 0; head < h; head++)
            for (int i = p - w; i < p; i++)
                for (int t = 0; t < p; t++) probs[(head * p + i) * p + t] = u[t] / 4096.0;
        // Keys and values name their position: key (g, t, j) = t + j/8, value = −(t + j/8).
        var keys = new double[kvh * p * hs];
        for (int g = 0; g < kvh; g++) for (int t = 0; t < p; t++) for (int j = 0; j < hs; j++) keys[(g * p + t) * hs + j] = t + j / 8.0;

        var revealed = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var k = ctx.Input(PartyIds.Client, [kvh, p, hs], client ? keys : default);
            var v = ctx.Input(PartyIds.Client, [kvh, p, hs], client ? keys.Select(x => -x).ToArray() : default);
            var a = ctx.Input(PartyIds.Client, [kvh, Shape.KvGroup * p, p], client ? probs : default);
            var (keptKeys, keptValues) = new PrivateCachePolicy(ctx, Shape, options, p).AfterPrefill(0, a, k, v);
            return (ctx.Reveal(keptKeys, PartyIds.Client), ctx.Reveal(keptValues, PartyIds.Client), keptKeys.Shape[1]);
        })[3];

        var scores = u.Select(x => x / 4096.0).ToArray();
        Assert.Equal(16, PlainCachePolicy.StaticCount(options, scores, p));
        var expected = PlainCachePolicy.TopPositions(scores, p, 16);
        Assert.Equal(Enumerable.Range(49, 16).Order(), expected.Select(t => u[t]).Order());
        Assert.Equal(16, revealed.Item3);
        for (int g = 0; g < kvh; g++)
            for (int b = 0; b < 16; b++)
                for (int j = 0; j < hs; j++)
                {
                    Assert.Equal(expected[b] + j / 8.0, revealed.Item1![(g * 16 + b) * hs + j], 3);
                    Assert.Equal(-(expected[b] + j / 8.0), revealed.Item2![(g * 16 + b) * hs + j], 3);
                }
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void PrivateTopKBaselinePicksThePlaintextTokens(SchemeKind scheme)
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
        })[3]!;
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

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void PrivateMpCacheGenerationMatchesItsPlaintextSimulation(SchemeKind scheme)
    {
        var weights = Llama2cCheckpoint.Load(SharedAssets.ModelPath);
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        // Cut mid-story so that the continuation is text, not the end of a story.
        var text = string.Join("\n", TextChunks.Split(TextChunks.ReadUtf8(SharedAssets.DevTextPath)).Take(3))[..600];
        var prompt = tokenizer.Encode(text);
        Assert.True(prompt.Count > 130, $"prompt of {prompt.Count} tokens is too short to select from");
        var options = CachePolicyOptions.Parse("mpcache");
        var plain = new PlainTransformer(weights, attention: new PlainCachePolicy(weights.Config, options, prompt.Count));
        var expected = CachePolicyAccuracy.Greedy(plain, prompt, prompt.Count, 6);
        Assert.DoesNotContain(Llama2cTokenizer.Bos, expected);

        var results = InProcessPrivateRun.Generate(scheme, weights, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 6, cache: options);
        Assert.Equal(expected, results[Array.IndexOf(InProcessPrivateRun.Participants, PartyIds.Client)].Tokens);
    }
}
