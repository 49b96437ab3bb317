using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Private;

/// <summary>
/// Every participant of a private generation as a thread of this process, over the in-process transport (engine
/// tests): compute parties P0..P2, the client and the model owner. `pi ... --transport inproc` does not come here but
/// runs the party jobs through the Parties' in-process job runner, with the parties' session checks.
/// </summary>
public static class InProcessPrivateRun
{
    public static readonly int[] Participants = [PartyIds.P0, PartyIds.P1, PartyIds.P2, PartyIds.Client, PartyIds.ModelOwner];

    /// <summary>Runs generation and returns every participant's result, indexed as <see cref="Participants"/>.</summary>
    public static PrivateRunResult[] Generate(SchemeKind scheme, LlamaWeights weights, ClientInputs client, int maxTokens,
        MpcOptions? options = null, NetworkProfile? network = null, CachePolicies.CachePolicyOptions? cache = null)
    {
        var folded = FoldedWeights.Fold(weights);
        // The model's own domains, as the job route's session terms carry them (NonlinearDomains).
        options = folded.Domains.ApplyTo(options ?? new MpcOptions());
        var run = new PrivateRunSettings(client.Prompt.Count, maxTokens, cache);
        return InProcessSession.Run(scheme, Participants, ctx => PrivateGeneration.Run(ctx, weights.Config, run,
            ctx.PartyId == PartyIds.ModelOwner ? folded : null,
            ctx.PartyId == PartyIds.Client ? client : null), options,
            network is null || network.IsIdeal ? null : t => new EmulatedNetworkTransport(t, network));
    }
}
