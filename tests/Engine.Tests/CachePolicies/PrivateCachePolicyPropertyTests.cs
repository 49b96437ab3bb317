using System.Globalization;
using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

/// <summary>Private and plaintext dynamic selection over random option combinations and cache lengths: the same
/// clusters, the newest first, and nothing throws for an option the parser accepts; and, after a prefill, static
/// eviction by ratio or by threshold keeps the same tokens and the first decode step attends to the same ones.</summary>
public sealed class PrivateCachePolicyPropertyTests
{
    private static readonly LlamaConfig Shape = new(Dim: 32, HiddenDim: 8, Layers: 5, Heads: 4, KvHeads: 2, VocabSize: 8, SeqLen: 512);

    private sealed record Case(string Spec, int Length, double[][] Keys, double[][] Queries, bool Grown);

    [Theory]
    [InlineData(SchemeKind.ThreePc, 1)]
    [InlineData(SchemeKind.TwoPcDealer, 2)]
    public void PrivateAndPlaintextSelectTheSameClusters(SchemeKind scheme, int seed)
    {
        var rng = new Random(seed);
        // Lengths where a level's budget covers all its candidates (these threw before), then random combinations.
        var specs = new List<(string, int)> { ("dynamic:l1=0.5,l2=0.5,min=0,select=rank", 113), ("dynamic:l1=0.5,l2=0.5,min=0", 160),
            ("dynamic:l1=0.25,min=0,select=rank", 241), ("dynamic:l1=0.25,min=0", 256), ("dynamic", 300) };
        for (int i = 0; i < 16; i++) specs.Add((RandomSpec(rng), rng.Next(2, 300)));
        var cases = specs.Select(s => NewCase(rng, s.Item1, s.Item2)).ToList();

        var revealed = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var all = new List<double[]?[]>();
            foreach (var c in cases)
            {
                var policy = new PrivateCachePolicy(ctx, Shape, CachePolicyOptions.Parse(c.Spec), promptLength: 1);
                var perLayer = new double[]?[Shape.Layers];
                var k = Enumerable.Range(0, Shape.Layers).Select(l => ctx.Input(PartyIds.Client, [Shape.KvHeads, c.Length, Shape.HeadSize], client ? c.Keys[l] : default)).ToArray();
                var q = Enumerable.Range(0, Shape.Layers).Select(l => ctx.Input(PartyIds.Client, [Shape.KvHeads, Shape.KvGroup, Shape.HeadSize], client ? c.Queries[l] : default)).ToArray();
                // Decode steps up to the measured length, so that the bounds are also kept up to date incrementally
                // (across a cluster boundary at least once when the cache grows by 17 tokens).
                for (int length = c.Grown ? Math.Max(2, c.Length - 17) : c.Length; length <= c.Length; length++)
                    for (int l = 0; l < Shape.Layers; l++)
                    {
                        var selected = policy.Select(l, q[l], ctx.Slice(k[l], 1, 0, length));
                        if (length == c.Length) perLayer[l] = selected is null ? null : ctx.Reveal(selected.ChildOneHot(ctx), PartyIds.Client) ?? [];
                    }
                all.Add(perLayer);
            }
            return all;
        })[3]!;

        for (int i = 0; i < cases.Count; i++)
            for (int l = 0; l < Shape.Layers; l++)
                Check(cases[i], l, revealed[i][l]);
    }

    /// <summary>A prompt of <paramref name="Prompt"/> tokens: per layer its attention probabilities [H, P, P] (causal, on the
    /// 2^-16 grid, so that the private sums are exact), keys [kvh, P + 1, hs] (the prompt's and the first decode
    /// position's) and that position's queries [kvh, G, hs].</summary>
    private sealed record StaticCase(string Spec, int Prompt, double[][] Probs, double[][] Keys, double[][] Queries, double[][] Scores);

    [Theory]
    [InlineData(SchemeKind.ThreePc, 3)]
    [InlineData(SchemeKind.TwoPcDealer, 4)]
    public void PrivateAndPlaintextKeepAndAttendTheSameTokensAfterStaticEviction(SchemeKind scheme, int seed)
    {
        var rng = new Random(seed);
        var cases = Enumerable.Range(0, 12).Select(_ => NewStaticCase(rng, rng.Next(2, 130))).ToList();
        int kvh = Shape.KvHeads, hs = Shape.HeadSize, g = Shape.KvGroup;

        var revealed = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var all = new List<(double[]? Kept, double[]? OneHot)[]>();
            foreach (var c in cases)
            {
                int p = c.Prompt;
                var policy = new PrivateCachePolicy(ctx, Shape, CachePolicyOptions.Parse(c.Spec), p);
                var keys = Enumerable.Range(0, Shape.Layers).Select(l => ctx.Input(PartyIds.Client, [kvh, p + 1, hs], client ? c.Keys[l] : default)).ToArray();
                // The prefill, layer by layer: each compacts its cache.
                var kept = Enumerable.Range(0, Shape.Layers).Select(l =>
                {
                    var probs = ctx.Input(PartyIds.Client, [kvh, g * p, p], client ? c.Probs[l] : default);
                    var prompt = ctx.Slice(keys[l], 1, 0, p);
                    return policy.AfterPrefill(l, probs, prompt, prompt).Keys;
                }).ToArray();
                // The first decode step over the kept cache and the new token.
                var perLayer = new (double[]?, double[]?)[Shape.Layers];
                for (int l = 0; l < Shape.Layers; l++)
                {
                    var q = ctx.Input(PartyIds.Client, [kvh, g, hs], client ? c.Queries[l] : default);
                    var selected = policy.Select(l, q, ctx.Concat([kept[l], ctx.Slice(keys[l], 1, p, 1)], 1));
                    perLayer[l] = (ctx.Reveal(kept[l], PartyIds.Client), selected is null ? null : ctx.Reveal(selected.ChildOneHot(ctx), PartyIds.Client) ?? []);
                }
                all.Add(perLayer);
            }
            return all;
        })[3]!;

        for (int i = 0; i < cases.Count; i++)
        {
            var attended = PlainAttended(cases[i]);
            for (int l = 0; l < Shape.Layers; l++)
                CheckStatic(cases[i], l, revealed[i][l].Kept!, revealed[i][l].OneHot, attended[l]);
        }
    }

    /// <summary>The plaintext policy itself through a prefill (observing the window's attention) and the first decode
    /// step: the positions each layer's KV heads attend to there.</summary>
    private static int[][][] PlainAttended(StaticCase c)
    {
        int p = c.Prompt, hs = Shape.HeadSize, kvd = Shape.KvDim;
        var plain = new PlainCachePolicy(Shape, CachePolicyOptions.Parse(c.Spec), p);
        var keys = c.Keys.Select(k =>
        {
            var flat = new float[(p + 1) * kvd];
            for (int t = 0; t <= p; t++) for (int h = 0; h < Shape.KvHeads; h++) for (int j = 0; j < hs; j++)
                flat[t * kvd + h * hs + j] = (float)k[(h * (p + 1) + t) * hs + j];
            return flat;
        }).ToArray();
        var none = new float[Shape.Heads * hs];
        for (int pos = 0; pos < p; pos++)
            for (int l = 0; l < Shape.Layers; l++)
            {
                plain.BeginLayer(l, pos, none, keys[l]);
                for (int h = 0; h < Shape.Heads; h++)
                    plain.ObserveAttention(l, pos, h, c.Probs[l].AsSpan((h * p + pos) * p, pos + 1).ToArray().Select(v => (float)v).ToArray());
            }
        var attended = new int[Shape.Layers][][];
        for (int l = 0; l < Shape.Layers; l++)
        {
            plain.BeginLayer(l, p, c.Queries[l].Select(v => (float)v).ToArray(), keys[l]);
            attended[l] = Enumerable.Range(0, Shape.KvHeads).Select(h => plain.AttendedPositions(h).ToArray().Order().ToArray()).ToArray();
        }
        return attended;
    }

    private static void CheckStatic(StaticCase c, int layer, double[] keptKeys, double[]? oneHot, int[][] plainAttended)
    {
        var o = CachePolicyOptions.Parse(c.Spec);
        int p = c.Prompt, hs = Shape.HeadSize, count = KeptCount(c, o, layer);
        string at = $"{c.Spec} on a {p}-token prompt, layer {layer}";
        var expected = PlainCachePolicy.TopPositions(c.Scores[layer], p, count);
        Assert.True(keptKeys.Length == Shape.KvHeads * count * hs, $"{at}: {keptKeys.Length / Shape.KvHeads / hs} tokens kept, expected {count}");
        int n = count + 1, children = CacheBudgets.Clusters(n, o.ChildClusterSize);
        for (int h = 0; h < Shape.KvHeads; h++)
        {
            // Which prompt position each kept row holds, by its key.
            var kept = Enumerable.Range(0, count).Select(b => Enumerable.Range(0, p).Single(t => Enumerable.Range(0, hs)
                .All(j => Math.Abs(keptKeys[(h * count + b) * hs + j] - c.Keys[layer][(h * (p + 1) + t) * hs + j]) < 1e-3))).ToList();
            Assert.True(expected.SequenceEqual(kept), $"{at}, head {h}: kept [{string.Join(",", kept)}], expected [{string.Join(",", expected)}]");
            kept.Add(p);
            List<int> attended;
            if (oneHot is null) attended = kept;
            else
            {
                int rows = oneHot.Length / Shape.KvHeads / children;
                var picked = Enumerable.Range(0, rows).Select(b => Enumerable.Range(0, children).Single(j => oneHot[(h * rows + b) * children + j] == 1)).ToList();
                Assert.Equal(children - 1, picked[0]);
                attended = picked.SelectMany(j => Enumerable.Range(j * o.ChildClusterSize, o.ChildClusterSize).Where(i => i < n)).Select(i => kept[i]).ToList();
            }
            Assert.True(plainAttended[h].SequenceEqual(attended.Order()), $"{at}, head {h}: private attends [{string.Join(",", attended.Order())}], plaintext [{string.Join(",", plainAttended[h])}]");
        }
    }

    /// <summary>What static eviction keeps of the prompt at <paramref name="layer"/>: its own count, or that of the layer whose
    /// selection it shares.</summary>
    private static int KeptCount(StaticCase c, CachePolicyOptions o, int layer) =>
        PlainCachePolicy.StaticCount(o, c.Scores[CacheBudgets.StaticCountLayer(o, layer, Shape.Layers)], c.Prompt);

    /// <summary>A random static-eviction spec (ratio or threshold, with the other options random too) and data for it:
    /// probabilities on the 2^-16 grid whose window sums differ in every layer (no tie to break), a threshold a quarter
    /// grid unit below one token's sum (so that the comparison with its fixed-point encoding decides as the real one),
    /// and keys whose cluster scores over each kept cache lie 10⁻⁴ apart.</summary>
    private static StaticCase NewStaticCase(Random rng, int p)
    {
        double Ratio() => Math.Round(0.05 + rng.NextDouble() * 0.95, 2);
        int child = 1 << rng.Next(1, 5), cluster = child << rng.Next(0, 3), h = Shape.Heads, layers = Shape.Layers;
        double window = Ratio();
        int w = CacheBudgets.ObservationQueries(new CachePolicyOptions { ObservationWindow = window }, p);
        double[][] probs;
        long[][] sums;
        do
        {
            probs = new double[layers][];
            sums = new long[layers][];
            for (int l = 0; l < layers; l++)
            {
                probs[l] = new double[h * p * p];
                sums[l] = new long[p];
                for (int head = 0; head < h; head++)
                    for (int i = p - w; i < p; i++)
                    {
                        var weight = Enumerable.Range(0, i + 1).Select(_ => Math.Exp(rng.NextDouble() * 6)).ToArray();
                        double total = weight.Sum();
                        for (int t = 0; t <= i; t++)
                        {
                            long units = (long)Math.Floor(weight[t] / total * 65536);
                            probs[l][(head * p + i) * p + t] = units / 65536.0;
                            sums[l][t] += units;
                        }
                    }
            }
        } while (sums.Any(s => s.Distinct().Count() < p) || sums[0].All(v => v == 0));
        var pick = sums[rng.Next(layers)].Where(v => v > 0).ToArray();
        double threshold = (pick[rng.Next(pick.Length)] - 0.25) / 65536.0 / (h * w);
        string form = rng.Next(3) == 0 ? $"keep={Ratio()}" : $"threshold={threshold.ToString("R", CultureInfo.InvariantCulture)}";
        string spec = $"{(rng.Next(3) == 0 ? "static" : "mpcache")}:{form},window={window},cluster={cluster},child={child},l1={Ratio()},l2={Ratio()}," +
                      $"alpha={Ratio()},hierarchy={(rng.Next(2) == 0 ? "on" : "off")},sharing={(rng.Next(2) == 0 ? "on" : "off")}," +
                      $"min={(rng.Next(3) == 0 ? 0 : rng.Next(1, p + p / 4 + 1))},select={(rng.Next(3) == 0 ? "rank" : "tournament")}";
        var o = CachePolicyOptions.Parse(spec);
        var scores = sums.Select(s => s.Select(v => v / 65536.0 / (h * w)).ToArray()).ToArray();
        var shell = new StaticCase(spec, p, probs, [], [], scores);
        while (true)
        {
            double Uniform(double r) => (rng.NextDouble() * 2 - 1) * r;
            var keys = Enumerable.Range(0, layers).Select(_ => Enumerable.Range(0, Shape.KvHeads * (p + 1) * Shape.HeadSize).Select(_ => Uniform(4)).ToArray()).ToArray();
            var queries = Enumerable.Range(0, layers).Select(_ => Enumerable.Range(0, Shape.KvDim * Shape.KvGroup).Select(_ => Uniform(2)).ToArray()).ToArray();
            var c = shell with { Keys = keys, Queries = queries };
            bool separated = !o.UsesDynamicSelection || Enumerable.Range(0, layers).All(l =>
            {
                var kept = PlainCachePolicy.TopPositions(scores[l], p, KeptCount(c, o, l)).Append(p).ToList();
                var cached = new Case(spec, kept.Count, Enumerable.Range(0, layers).Select(_ => Gather(keys[l], p + 1, kept)).ToArray(), queries, false);
                return Enumerable.Range(0, Shape.KvHeads).All(head =>
                {
                    var bounds = Bounds(cached, l, head, o);
                    var q = GroupQuery(cached, l, head);
                    return new[] { o.ChildClusterSize, o.ClusterSize }.All(size =>
                    {
                        var s = bounds.Scores(size, Enumerable.Range(0, CacheBudgets.Clusters(kept.Count, size)).ToList(), q, o.Alpha).Order().ToArray();
                        return s.Zip(s.Skip(1)).All(x => x.Second - x.First > 1e-4);
                    });
                });
            });
            if (separated) return c;
        }
    }

    /// <summary>Rows <paramref name="positions"/> of keys [kvh, length, hs], as [kvh, positions, hs].</summary>
    private static double[] Gather(double[] keys, int length, List<int> positions)
    {
        int hs = Shape.HeadSize;
        var r = new double[Shape.KvHeads * positions.Count * hs];
        for (int h = 0; h < Shape.KvHeads; h++)
            for (int b = 0; b < positions.Count; b++)
                Array.Copy(keys, (h * length + positions[b]) * hs, r, (h * positions.Count + b) * hs, hs);
        return r;
    }

    private static void Check(Case c, int layer, double[]? oneHot)
    {
        var o = CachePolicyOptions.Parse(c.Spec);
        string at = $"{c.Spec} at {c.Length} tokens, layer {layer}";
        if (CacheBudgets.SelectsEverything(o, c.Length))
        {
            Assert.True(oneHot is null, $"{at}: everything is kept, yet a selection was made");
            return;
        }
        Assert.True(oneHot is not null, $"{at}: no selection");
        int selector = CacheBudgets.SelectingLayer(o, layer, Shape.Layers), hs = Shape.HeadSize, g = Shape.KvGroup;
        int children = CacheBudgets.Clusters(c.Length, o.ChildClusterSize), rows = oneHot!.Length / Shape.KvHeads / children;
        for (int h = 0; h < Shape.KvHeads; h++)
        {
            var expected = ClusterSelection.Select(o, Bounds(c, selector, h, o), GroupQuery(c, selector, h))
                .Select(t => t / o.ChildClusterSize).Distinct().ToList();
            var actual = Enumerable.Range(0, rows).Select(b =>
            {
                var row = Enumerable.Range(0, children).Select(j => oneHot[(h * rows + b) * children + j]).ToArray();
                Assert.True(row.All(v => v is 0 or 1) && row.Sum() == 1, $"{at}: row {b} is not one-hot");
                return Array.IndexOf(row, 1.0);
            }).ToList();
            Assert.Equal(children - 1, actual[0]);
            Assert.Equal(expected, actual.Order().ToList());
        }
    }

    private static string RandomSpec(Random rng)
    {
        int child = 1 << rng.Next(1, 5), cluster = child << rng.Next(0, 3);
        double Ratio() => Math.Round(0.05 + rng.NextDouble() * 0.95, 2);
        return $"dynamic:cluster={cluster},child={child},l1={Ratio()},l2={Ratio()},alpha={Ratio()}," +
               $"hierarchy={(rng.Next(2) == 0 ? "on" : "off")},sharing={(rng.Next(2) == 0 ? "on" : "off")}," +
               $"min={(rng.Next(3) == 0 ? 0 : rng.Next(1, 160))},select={(rng.Next(3) == 0 ? "rank" : "tournament")}";
    }

    /// <summary>Random keys and queries whose cluster scores (both levels, every layer and head) lie at least 10⁻⁴ apart (6 units of the 16-bit fixed point),
    /// far above the fixed-point error, so that a tie cannot decide the outcome differently on the two sides.</summary>
    private static Case NewCase(Random rng, string spec, int n)
    {
        var o = CachePolicyOptions.Parse(spec);
        while (true)
        {
            double Uniform(double r) => (rng.NextDouble() * 2 - 1) * r;
            var keys = Enumerable.Range(0, Shape.Layers).Select(_ => Enumerable.Range(0, Shape.KvHeads * n * Shape.HeadSize).Select(_ => Uniform(4)).ToArray()).ToArray();
            var queries = Enumerable.Range(0, Shape.Layers).Select(_ => Enumerable.Range(0, Shape.KvDim * Shape.KvGroup).Select(_ => Uniform(2)).ToArray()).ToArray();
            var c = new Case(spec, n, keys, queries, Grown: rng.Next(2) == 0);
            bool separated = Enumerable.Range(0, Shape.Layers).All(l => Enumerable.Range(0, Shape.KvHeads).All(h =>
            {
                var bounds = Bounds(c, l, h, o);
                var q = GroupQuery(c, l, h);
                return new[] { o.ChildClusterSize, o.ClusterSize }.All(size =>
                {
                    var s = bounds.Scores(size, Enumerable.Range(0, CacheBudgets.Clusters(n, size)).ToList(), q, o.Alpha).Order().ToArray();
                    return s.Zip(s.Skip(1)).All(p => p.Second - p.First > 1e-4);
                });
            }));
            if (separated) return c;
        }
    }

    private static ClusterBounds Bounds(Case c, int layer, int h, CachePolicyOptions o)
    {
        var bounds = new ClusterBounds(Shape.HeadSize, o.ChildClusterSize);
        for (int t = 0; t < c.Length; t++)
            bounds.Append(c.Keys[layer].AsSpan((h * c.Length + t) * Shape.HeadSize, Shape.HeadSize).ToArray().Select(v => (float)v).ToArray());
        return bounds;
    }

    private static float[] GroupQuery(Case c, int layer, int h)
    {
        var q = new float[Shape.HeadSize];
        for (int j = 0; j < Shape.KvGroup; j++)
            for (int i = 0; i < Shape.HeadSize; i++) q[i] += (float)c.Queries[layer][(h * Shape.KvGroup + j) * Shape.HeadSize + i];
        return q;
    }
}
