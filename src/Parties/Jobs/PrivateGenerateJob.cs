using System.Globalization;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;
using PrivateInference.Protocols;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// Private generation (`pi generate --mode private`). The registered instance plays the compute parties; the
/// client and the model owner play theirs with an instance that carries their private inputs
/// (<see cref="ForClient"/>, <see cref="ForOwner"/>), in the process that holds them.
/// </summary>
public sealed class PrivateGenerateJob : IValidatingPartyJob
{
    public const string JobName = "private-generate";

    private readonly ClientInputs? _client;
    private readonly FoldedWeights? _owner;

    public PrivateGenerateJob() { }

    private PrivateGenerateJob(ClientInputs? client, FoldedWeights? owner)
    {
        _client = client;
        _owner = owner;
    }

    public static PrivateGenerateJob ForClient(ClientInputs client) => new(client, null);

    public static PrivateGenerateJob ForOwner(FoldedWeights owner) => new(null, owner);

    public string Name => JobName;

    public string Description => "generate text from a secret prompt with secret weights (private engine)";

    /// <summary>This endpoint's result after <see cref="Run"/> (for the local parts).</summary>
    public PrivateRunResult? Result { get; private set; }

    public void ValidateOpen(JobArguments arguments, ClusterConfig cluster,
        IReadOnlyCollection<int> externalEndpoints, SessionTerms expected, Storage.ShareStore? store)
    {
        var fromStore = FromStore(arguments.Values);
        Settings(arguments.Values, PrivateJobArguments.ValidateOpen(arguments, cluster, externalEndpoints, expected,
            fromStore ? [PartyIds.Client] : [PartyIds.Client, PartyIds.ModelOwner]));
        if (!fromStore)
            return;
        // Refused here, before the session exists anywhere: no party loads or moves a share for a model it lacks.
        var model = PrivateJobArguments.HeldModel(arguments.Values);
        if (store is null || !store.Holds(model))
            throw new SessionTermsException(SessionTerms.ModelHashArgument,
                $"session terms disagree on {SessionTerms.ModelHashArgument}: this party holds no weight shares of model {model.ModelHash} " +
                $"for {model.Scheme} at {model.FracBits} fractional bits (the model owner shares them once with `pi owner share`)");
        try
        {
            store.Check(model);
        }
        catch (Storage.ShareFileException e)
        {
            throw new InvalidOperationException(e.Message);
        }
    }

    /// <summary>Whether the session is served from the parties' stored shares (no model owner takes part).</summary>
    public static bool FromStore(IReadOnlyDictionary<string, string> arguments)
    {
        var weights = arguments.GetValueOrDefault(PrivateJobArguments.WeightsArgument, PrivateJobArguments.OwnerWeights);
        return weights switch
        {
            PrivateJobArguments.StoredWeights => true,
            PrivateJobArguments.OwnerWeights => false,
            _ => throw new ArgumentException(
                $"job argument '{PrivateJobArguments.WeightsArgument}' must be {PrivateJobArguments.OwnerWeights} or {PrivateJobArguments.StoredWeights}, not '{SessionTerms.Clip(weights)}'"),
        };
    }

    /// <summary>The prompt and the generated tokens must fit the context together.</summary>
    private static PrivateRunSettings Settings(IReadOnlyDictionary<string, string> arguments, Engine.Models.LlamaConfig config)
    {
        var prompt = PrivateJobArguments.Bounded(arguments, "prompt_length", 1, config.SeqLen);
        var max = PrivateJobArguments.Bounded(arguments, "max_tokens", 1, config.SeqLen);
        // As in the plain engine: the last sampled token is never fed back, so a run takes prompt - 1 + max positions.
        if (prompt - 1 + max > config.SeqLen)
            throw new ArgumentException($"a prompt of {prompt} tokens plus {max} new tokens exceeds the context of {config.SeqLen}");
        return new PrivateRunSettings(prompt, max,
            Engine.CachePolicies.CachePolicyOptions.Parse(arguments.GetValueOrDefault(SessionTerms.CachePolicyArgument, SessionTerms.FullCache)));
    }

    public void Run(PartyJobContext context)
    {
        var config = PrivateJobArguments.Config(context);
        var run = Settings(context.Arguments, config);
        PrivateJobArguments.CheckOwnerModel(context, _owner);
        if (_client is not null && context.PartyId == PartyIds.Client)
        {
            if (_client.Prompt.Count != run.PromptLength)
                throw new ArgumentException($"the client holds {_client.Prompt.Count} prompt tokens, the session was opened for {run.PromptLength}");
            PrivateJobArguments.CheckTokens(_client.Prompt, config);
        }
        var fromStore = FromStore(context.Arguments);
        Engine.Private.WeightShares? stored = null;
        if (fromStore && PartyIds.ComputeParties.Contains(context.PartyId))
        {
            var store = context.Store ?? throw new InvalidOperationException("this party keeps no weight shares");
            stored = store.Load(PrivateJobArguments.HeldModel(context.Arguments));
        }
        using var mpc = PrivateJobArguments.Connect(context, fromStore ? [PartyIds.Client] : [PartyIds.Client, PartyIds.ModelOwner]);
        if (mpc.PartyId == PartyIds.Client && _client is null || mpc.PartyId == PartyIds.ModelOwner && _owner is null)
            throw new InvalidOperationException($"endpoint {mpc.PartyId} joined without its inputs");
        var result = PrivateGeneration.Run(mpc, config, run, _owner, _client, fromStore, stored);
        Result = result;
        // Sizes and counts only: what the client reports per party.
        context.PrivateRun = PrivateRunStatsRecords.ToRecord(result);
    }
}
