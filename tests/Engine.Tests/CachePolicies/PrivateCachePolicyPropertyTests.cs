using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

/// <summary>Private and plaintext dynamic selection over random option combinations and cache lengths: the same
/// clusters, the newest first, and nothing throws for an option the parser accepts.</summary>
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
