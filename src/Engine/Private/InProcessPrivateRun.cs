using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Private;

/// <summary>
/// Every participant of a private run as a thread of this process (tests, quick checks, `--transport inproc`):
/// compute parties P0..P2, the client and the model owner, over the in-process transport.
/// </summary>
public static class InProcessPrivateRun
{
    public static readonly int[] Participants = [PartyIds.P0, PartyIds.P1, PartyIds.P2, PartyIds.Client, PartyIds.ModelOwner];

    /// <summary>Runs generation and returns every participant's result, indexed as <see cref="Participants"/>.</summary>
    public static PrivateRunResult[] Generate(SchemeKind scheme, LlamaWeights weights, ClientInputs client, int maxTokens,
        MpcOptions? options = null, NetworkProfile? network = null, CachePolicies.CachePolicyOptions? cache = null)
    {
        var folded = FoldedWeights.Fold(weights);
        var run = new PrivateRunSettings(client.Prompt.Count, maxTokens, cache);
        return InProcessSession.Run(scheme, Participants, ctx => PrivateGeneration.Run(ctx, weights.Config, run,
            ctx.PartyId == PartyIds.ModelOwner ? folded : null,
            ctx.PartyId == PartyIds.Client ? client : null), options,
            network is null || network.IsIdeal ? null : t => new EmulatedNetworkTransport(t, network));
    }

    /// <summary>Teacher-forced perplexity under MPC; returns the client's result.</summary>
    public static Evaluation.PerplexityResult Perplexity(SchemeKind scheme, LlamaWeights weights, IReadOnlyList<IReadOnlyList<int>> chunks,
        MpcOptions? options = null, NetworkProfile? network = null, Action<int, Evaluation.PerplexityResult>? progress = null)
    {
        var folded = FoldedWeights.Fold(weights);
        var lengths = chunks.Select(c => c.Count).ToArray();
        var results = InProcessSession.Run(scheme, Participants, ctx => PrivatePerplexity.Run(ctx, weights.Config, lengths,
            ctx.PartyId == PartyIds.ModelOwner ? folded : null,
            ctx.PartyId == PartyIds.Client ? chunks : null,
            ctx.PartyId == PartyIds.Client ? progress : null), options,
            network is null || network.IsIdeal ? null : t => new EmulatedNetworkTransport(t, network));
        return results[Array.IndexOf(Participants, PartyIds.Client)]!;
    }

    /// <summary>One decode-benchmark point with every participant in this process.</summary>
    public static PrivateRunResult[] Benchmark(SchemeKind scheme, LlamaConfig config, FoldedWeights folded, Benchmarks.PrivateBenchPoint point,
        MpcOptions? options = null, NetworkProfile? network = null)
    {
        return InProcessSession.Run(scheme, Participants, ctx => Benchmarks.PrivateDecodeBenchmark.Run(ctx, config, point,
            ctx.PartyId == PartyIds.ModelOwner ? folded : null), options,
            network is null || network.IsIdeal ? null : t => new EmulatedNetworkTransport(t, network));
    }
}
