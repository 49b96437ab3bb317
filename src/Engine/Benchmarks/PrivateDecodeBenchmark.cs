using System.Diagnostics;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Benchmarks;

/// <summary>Public parameters of one benchmark point.</summary>
/// <param name="LayersOnly">measure the decoder stack alone (hidden state in, hidden state out) instead of the
/// whole model (one-hot token in, logits revealed to the client).</param>
/// <param name="Cache">the cache policy; with static eviction the cache holds the kept share of the context − 1 earlier
/// positions, as it would after a prefill of that length.</param>
public sealed record PrivateBenchPoint(int Context, int Steps, bool LayersOnly, CachePolicies.CachePolicyOptions? Cache = null);

/// <summary>
/// Per-step cost of private decoding at a given context length, SPMD over all participants. Set-up (weight sharing
/// and a cache of context−1−steps positions) is outside the measurement: the cache is filled with secret random keys and
/// values input by the client (the documented benchmark-only path, <see cref="PrivateTransformer.FillCacheForBenchmark"/>),
/// since a step's cost depends on the cache's size and not on its values. Then consecutive decode steps run, one
/// warm-up and <see cref="PrivateBenchPoint.Steps"/> measured ones, ending at position context−1.
/// </summary>
public static class PrivateDecodeBenchmark
{
    public static PrivateRunResult Run(MpcContext ctx, LlamaConfig c, PrivateBenchPoint point, FoldedWeights? owner)
    {
        if (point.Steps < 1 || point.Context - 1 - point.Steps < 1 || point.Context > c.SeqLen)
            throw new InputException($"context {point.Context} must lie in {point.Steps + 2}..{c.SeqLen} for {point.Steps} steps");
        var result = new PrivateRunResult { PartyId = ctx.PartyId };
        var before = ctx.Channel.Total;
        var weights = PrivateWeights.Share(ctx, c, owner, point.LayersOnly);
        if (ctx.PartyId == PartyIds.ModelOwner) return result;

        // The cache holds context − 1 − steps positions; after the warm-up step, the measured steps run at the last
        // `steps` positions up to context − 1, the last one attending over exactly `context` tokens.
        int filled = point.Context - 1 - point.Steps;
        var cache = point.Cache is { Kind: not CachePolicies.CachePolicyKind.Full } c0 ? c0 : null;
        int kept = cache is { UsesStaticEviction: true } ? CachePolicies.CacheBudgets.StaticKept(cache, filled) : filled;
        var policy = cache is null ? null : new CachePolicies.PrivateCachePolicy(ctx, c, cache, promptLength: filled);
        var rng = new Random(17);
        double[]? Random(int n) => ctx.PartyId == PartyIds.Client ? Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray() : null;
        var keys = new List<SecretTensor>();
        var values = new List<SecretTensor>();
        for (int l = 0; l < c.Layers; l++)
        {
            keys.Add(ctx.Input(PartyIds.Client, [c.KvHeads, kept, c.HeadSize], Random(c.KvHeads * kept * c.HeadSize)));
            values.Add(ctx.Input(PartyIds.Client, [c.KvHeads, kept, c.HeadSize], Random(c.KvHeads * kept * c.HeadSize)));
        }
        // Static eviction by threshold: random validity bits for the kept slots (the step's cost does not depend on them).
        if (cache is { UsesStaticEviction: true, StaticThreshold: not null })
            for (int l = 0; l < c.Layers; l++)
            {
                using var roles = PrivateTransformer.LayerRoles(ctx, l, c.Layers);
                policy!.FillMaskForBenchmark(l, ctx.LessThanZero(ctx.Input(PartyIds.Client, [kept], Random(kept))));
            }
        result.Setup = ctx.Channel.Total - before;

        var model = new PrivateTransformer(ctx, c, weights, policy);
        model.FillCacheForBenchmark(keys, values, filled);
        // Step -1 is a warm-up (JIT, first-touch allocations, the policy's first bounds) and is not recorded.
        for (int step = -1; step < point.Steps; step++)
        {
            var clock = Stopwatch.StartNew();
            var mark = ctx.Channel.Total;
            var labelsBefore = ctx.Channel.ByLabel;
            using (ctx.Scope("decode"))
            {
                if (point.LayersOnly)
                {
                    var x = ctx.Input(PartyIds.Client, [1, c.Dim], Random(c.Dim));
                    var y = model.Layers(x);
                    ctx.Reveal(ctx.Slice(y, 1, 0, 1), PartyIds.Client); // the step ends when the client has an output
                }
                else
                {
                    ulong[]? oneHot = null;
                    if (ctx.PartyId == PartyIds.Client) { oneHot = new ulong[c.VocabSize]; oneHot[(step * 7 + 10) % c.VocabSize] = 1; }
                    ctx.Reveal(model.Forward(ctx.InputRing(PartyIds.Client, [1, c.VocabSize], oneHot, 0)), PartyIds.Client);
                }
            }
            if (step < 0) continue;
            result.DecodeMs.Add(clock.Elapsed.TotalMilliseconds);
            result.DecodeSteps.Add(ctx.Channel.Total - mark);
            result.RecordLastStep(labelsBefore, ctx.Channel.ByLabel);
        }
        result.Total = ctx.Channel.Total;
        return result;
    }
}
