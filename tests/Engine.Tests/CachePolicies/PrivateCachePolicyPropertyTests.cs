using System.Globalization;
using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

/// <summary>Private and plaintext dynamic selection over random option combinations and cache lengths: the same
/// clusters, the newest first, and nothing throws for an option the parser accepts; and, after a prefill, static
/// eviction by ratio or by threshold keeps and masks the same slots and the first decode step attends to the same
/// tokens with the same probabilities.</summary>
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

    /// <summary>A prompt of <paramref name="Prompt"/> tokens: per layer the prefill's attention probabilities [H, P, P]
    /// (on the 2^-16 grid, so that the private window sums are exact; <paramref name="Sums"/> in grid units), keys
    /// [kvh, P + 1, hs] (the prompt's and the first decode position's) and that position's queries [kvh, G, hs].</summary>
    private sealed record StaticCase(string Spec, int Prompt, double[][] Probs, double[][] Keys, double[][] Queries, long[][] Sums);

    /// <summary>What the private side reveals to the test for one layer: the compacted keys and values, the slots'
    /// validity bits (null by ratio), the selection's child one-hot (null: everything) and the decode step's attention
    /// probabilities [kvh, G, n] over the cache.</summary>
    private sealed record StaticView(double[] Keys, double[] Values, double[]? Valid, double[]? OneHot, double[] Probs);

    [Theory]
    [InlineData(SchemeKind.ThreePc, 3)]
    [InlineData(SchemeKind.TwoPcDealer, 4)]
    public void PrivateAndPlaintextKeepMaskAndAttendTheSameTokensAfterStaticEviction(SchemeKind scheme, int seed)
    {
        var rng = new Random(seed);
        // Threshold forms twice as often as the ratio; the first cases cover a cap that holds the whole prompt and a
        // threshold that every kept slot or none passes.
        var cases = new List<StaticCase> { NewStaticCase(rng, 40, "keep=1,min=0", 0.5), NewStaticCase(rng, 70, "min=100", 0.5),
            NewStaticCase(rng, 50, "keep=0.4,min=0", 0), NewStaticCase(rng, 50, "keep=0.4,min=0", 2) };
        for (int i = 0; i < 10; i++)
            cases.Add(NewStaticCase(rng, rng.Next(2, 130), rng.Next(3) == 0 ? null : $"keep={Math.Round(0.05 + rng.NextDouble() * 0.95, 2)},min={(rng.Next(3) == 0 ? 0 : rng.Next(1, 160))}", rng.NextDouble()));
        int kvh = Shape.KvHeads, hs = Shape.HeadSize, g = Shape.KvGroup;

        var revealed = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var all = new List<StaticView[]>();
            foreach (var c in cases)
            {
                int p = c.Prompt;
                var policy = new PrivateCachePolicy(ctx, Shape, CachePolicyOptions.Parse(c.Spec), p);
                var perLayer = new StaticView[Shape.Layers];
                for (int l = 0; l < Shape.Layers; l++)
                {
                    var keys = ctx.Input(PartyIds.Client, [kvh, p + 1, hs], client ? c.Keys[l] : default);
                    var probs = ctx.Input(PartyIds.Client, [kvh, g * p, p], client ? c.Probs[l] : default);
                    var prompt = ctx.Slice(keys, 1, 0, p);
                    var (kept, values) = policy.AfterPrefill(l, probs, prompt, ctx.Neg(prompt));
                    // The first decode step over the kept slots and the new token, as PrivateKvCache attends.
                    var cache = ctx.Concat([kept, ctx.Slice(keys, 1, p, 1)], 1);
                    var q = ctx.Input(PartyIds.Client, [kvh, g, hs], client ? c.Queries[l] : default);
                    var selected = policy.Select(l, q, cache);
                    var scores = policy.MaskDropped(l, ctx.MatMul(q, ctx.Grow(null, cache), transposeB: true, truncate: false));
                    var attention = selected is null ? ctx.Softmax(scores)
                        : selected.Scatter(ctx, ctx.Softmax(selected.Gather(ctx, scores), selected.Valid(), [1, 1, selected.Tokens]));
                    SecretTensor? valid = policy.Validity(l);
                    perLayer[l] = new StaticView(ctx.Reveal(kept, PartyIds.Client) ?? [], ctx.Reveal(values, PartyIds.Client) ?? [],
                        valid is null ? null : ctx.Reveal(valid, PartyIds.Client) ?? [],
                        selected is null ? null : ctx.Reveal(selected.ChildOneHot(ctx), PartyIds.Client) ?? [],
                        ctx.Reveal(attention, PartyIds.Client) ?? []);
                }
                all.Add(perLayer);
            }
            return all;
        })[3]!;

        for (int i = 0; i < cases.Count; i++)
        {
            var attended = PlainAttended(cases[i]);
            for (int l = 0; l < Shape.Layers; l++) CheckStatic(cases[i], l, revealed[i][l], attended[l]);
        }
    }

    /// <summary>The plaintext policy itself through a prefill (observing the window's attention) and the first decode
    /// step: the positions each layer's KV heads attend to there.</summary>
    private static int[][][] PlainAttended(StaticCase c)
    {
        int p = c.Prompt;
        var plain = new PlainCachePolicy(Shape, CachePolicyOptions.Parse(c.Spec), p);
        var keys = c.Keys.Select(k => PositionMajor(k, p + 1)).ToArray();
        var none = new float[Shape.Heads * Shape.HeadSize];
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
            attended[l] = Enumerable.Range(0, Shape.KvHeads).Select(h => plain.AttendedPositions(h).ToArray()).ToArray();
        }
        return attended;
    }

    /// <summary>Keys [kvh, length, hs] as the plaintext engine lays them out, [length, kvh·hs].</summary>
    private static float[] PositionMajor(double[] keys, int length)
    {
        int hs = Shape.HeadSize, kvd = Shape.KvDim;
        var flat = new float[length * kvd];
        for (int t = 0; t < length; t++)
            for (int h = 0; h < Shape.KvHeads; h++)
                for (int j = 0; j < hs; j++) flat[t * kvd + h * hs + j] = (float)keys[(h * length + t) * hs + j];
        return flat;
    }

    private static void CheckStatic(StaticCase c, int layer, StaticView view, int[][] plainAttended)
    {
        var o = CachePolicyOptions.Parse(c.Spec);
        int p = c.Prompt, hs = Shape.HeadSize, g = Shape.KvGroup, cap = CacheBudgets.StaticKept(o, p), n = cap + 1;
        string at = $"{c.Spec} on a {p}-token prompt, layer {layer}";
        var slots = KeptPositions(c, o, layer);
        var dropped = Dropped(c, o, layer, slots);
        Assert.True(view.Keys.Length == Shape.KvHeads * cap * hs, $"{at}: {view.Keys.Length / Shape.KvHeads / hs} slots kept, expected {cap}");
        if (o.StaticThreshold is null) Assert.Null(view.Valid);
        else Assert.True(dropped.Select(d => d ? 0.0 : 1.0).SequenceEqual(view.Valid!), $"{at}: validity [{string.Join("", view.Valid!)}]");
        int children = CacheBudgets.Clusters(n, o.ChildClusterSize);
        for (int h = 0; h < Shape.KvHeads; h++)
        {
            // Every slot holds its position's key and value, or zeros where it was dropped.
            for (int b = 0; b < cap; b++)
                for (int j = 0; j < hs; j++)
                {
                    double key = dropped[b] ? 0 : c.Keys[layer][(h * (p + 1) + slots[b]) * hs + j];
                    Assert.True(Math.Abs(view.Keys[(h * cap + b) * hs + j] - key) < 1e-3, $"{at}, head {h}: slot {b} holds no key of position {slots[b]}{(dropped[b] ? " (dropped: zeros)" : "")}");
                    Assert.True(Math.Abs(view.Values[(h * cap + b) * hs + j] + key) < 1e-3, $"{at}, head {h}: slot {b}'s value");
                }
            // The tokens the private step attends to: the selected children's, less the dropped slots.
            var cached = slots.Append(p).ToList();
            IEnumerable<int> chosen = Enumerable.Range(0, n);
            if (view.OneHot is { } oneHot)
            {
                int rows = oneHot.Length / Shape.KvHeads / children;
                var picked = Enumerable.Range(0, rows).Select(b => Enumerable.Range(0, children).Single(j => oneHot[(h * rows + b) * children + j] == 1)).ToList();
                Assert.Equal(children - 1, picked[0]);
                chosen = picked.SelectMany(j => Enumerable.Range(j * o.ChildClusterSize, o.ChildClusterSize)).Where(i => i < n);
            }
            var attended = chosen.Where(i => i == cap || !dropped[i]).Select(i => cached[i]).Order().ToArray();
            Assert.True(plainAttended[h].SequenceEqual(attended), $"{at}, head {h}: private attends [{string.Join(",", attended)}], plaintext [{string.Join(",", plainAttended[h])}]");
            // Its probabilities: the plaintext softmax over those tokens, and none on any other slot.
            for (int q = 0; q < g; q++)
            {
                var score = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, hs).Sum(j => c.Queries[layer][((h * g) + q) * hs + j] *
                    (i < cap && dropped[i] ? 0 : c.Keys[layer][(h * (p + 1) + cached[i]) * hs + j]))).ToArray();
                var inSet = Enumerable.Range(0, n).Where(i => attended.Contains(cached[i])).ToList();
                double max = inSet.Max(i => score[i]), total = inSet.Sum(i => Math.Exp(score[i] - max));
                for (int i = 0; i < n; i++)
                {
                    double expected = inSet.Contains(i) ? Math.Exp(score[i] - max) / total : 0;
                    double actual = view.Probs[(h * g + q) * n + i];
                    Assert.True(Math.Abs(actual - expected) < 2e-3, $"{at}, head {h}, query {q}: slot {i} has probability {actual:G4}, expected {expected:G4}");
                }
            }
        }
    }

    /// <summary>The prompt positions static eviction keeps (its public count of the highest window scores, ascending).</summary>
    private static List<int> KeptPositions(StaticCase c, CachePolicyOptions o, int layer) =>
        PlainCachePolicy.TopPositions(c.Sums[layer].Select(v => (double)v).ToArray(), c.Prompt, CacheBudgets.StaticKept(o, c.Prompt));

    /// <summary>Which kept slots fall below the threshold (none by ratio): window sum against the bound, in grid units.</summary>
    private static bool[] Dropped(StaticCase c, CachePolicyOptions o, int layer, List<int> slots)
    {
        if (o.StaticThreshold is null) return new bool[slots.Count];
        double bound = CacheBudgets.ThresholdSum(o, Shape.Heads, CacheBudgets.ObservationQueries(o, c.Prompt), 16) * 65536;
        return slots.Select(t => c.Sums[layer][t] < bound).ToArray();
    }

    /// <summary>A random static-eviction spec (<paramref name="cap"/>: keep and min, or null for the ratio alone; a
    /// threshold at the <paramref name="quantile"/> of one layer's window sums, a quarter grid unit below one of them so
    /// that its fixed-point encoding decides as the real one; the other options random) and data for it: probabilities
    /// on the 2^-16 grid whose window sums differ in every layer (no tie to break), keys whose cluster scores over
    /// each kept cache lie 10⁻⁴ apart unless both are clusters of dropped slots only (zero keys: exactly 0 on both
    /// sides, and whichever wins adds no token).</summary>
    private static StaticCase NewStaticCase(Random rng, int p, string? cap, double quantile)
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
        string form = cap ?? $"keep={Ratio()},min={(rng.Next(3) == 0 ? 0 : rng.Next(1, p + p / 4 + 1))}";
        if (cap is not null || rng.Next(3) == 0)
        {
            // Quantile 0 or below: every token passes; above 1: none does.
            var sorted = sums[rng.Next(layers)].Where(v => v > 0).Order().ToArray();
            double units = quantile > 1 ? sorted[^1] + 0.75 : sorted[Math.Clamp((int)(quantile * sorted.Length), 0, sorted.Length - 1)] - 0.25;
            if (quantile <= 0) units = 0.75;
            form += $",threshold={(units / 65536.0 / (h * w)).ToString("R", CultureInfo.InvariantCulture)}";
        }
        string spec = $"{(rng.Next(3) == 0 ? "static" : "mpcache")}:{form},window={window},cluster={cluster},child={child},l1={Ratio()},l2={Ratio()}," +
                      $"alpha={Ratio()},hierarchy={(rng.Next(2) == 0 ? "on" : "off")},sharing={(rng.Next(2) == 0 ? "on" : "off")},select={(rng.Next(3) == 0 ? "rank" : "tournament")}";
        var o = CachePolicyOptions.Parse(spec);
        var shell = new StaticCase(spec, p, probs, [], [], sums);
        while (true)
        {
            double Uniform(double r) => (rng.NextDouble() * 2 - 1) * r;
            var keys = Enumerable.Range(0, layers).Select(_ => Enumerable.Range(0, Shape.KvHeads * (p + 1) * Shape.HeadSize).Select(_ => Uniform(4)).ToArray()).ToArray();
            var queries = Enumerable.Range(0, layers).Select(_ => Enumerable.Range(0, Shape.KvDim * Shape.KvGroup).Select(_ => Uniform(2)).ToArray()).ToArray();
            var c = shell with { Keys = keys, Queries = queries };
            bool separated = !o.UsesDynamicSelection || Enumerable.Range(0, layers).All(l =>
            {
                var slots = KeptPositions(c, o, l);
                var dropped = Dropped(c, o, l, slots).Append(false).ToArray();
                var cached = new Case(spec, slots.Count + 1, Enumerable.Range(0, layers).Select(_ => Gather(keys[l], p + 1, slots.Append(p).ToList(), dropped)).ToArray(), queries, false);
                return Enumerable.Range(0, Shape.KvHeads).All(head =>
                {
                    var bounds = Bounds(cached, l, head, o);
                    var q = GroupQuery(cached, l, head);
                    return new[] { o.ChildClusterSize, o.ClusterSize }.All(size =>
                    {
                        int clusters = CacheBudgets.Clusters(cached.Length, size);
                        var empty = Enumerable.Range(0, clusters).Select(k => Enumerable.Range(k * size, Math.Min(size, cached.Length - k * size)).All(i => dropped[i])).ToArray();
                        var s = bounds.Scores(size, Enumerable.Range(0, clusters).ToList(), q, o.Alpha);
                        return Enumerable.Range(0, clusters).All(a => Enumerable.Range(a + 1, clusters - a - 1).All(b => empty[a] && empty[b] || Math.Abs(s[a] - s[b]) > 1e-4));
                    });
                });
            });
            if (separated) return c;
        }
    }

    /// <summary>Rows <paramref name="positions"/> of keys [kvh, length, hs] as [kvh, positions, hs], zeros where dropped.</summary>
    private static double[] Gather(double[] keys, int length, List<int> positions, bool[] dropped)
    {
        int hs = Shape.HeadSize;
        var r = new double[Shape.KvHeads * positions.Count * hs];
        for (int h = 0; h < Shape.KvHeads; h++)
            for (int b = 0; b < positions.Count; b++)
                if (!dropped[b]) Array.Copy(keys, (h * length + positions[b]) * hs, r, (h * positions.Count + b) * hs, hs);
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
