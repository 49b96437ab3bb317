using System.Globalization;
using PrivateInference.Engine.Benchmarks;
using PrivateInference.Engine.Private;

namespace PrivateInference.Parties.Jobs;

/// <summary>One point of `pi bench private` over party processes; roles as in <see cref="PrivateGenerateJob"/>.</summary>
public sealed class PrivateBenchJob : IPartyJob
{
    public const string JobName = "private-bench";

    private readonly FoldedWeights? _owner;
    private readonly bool _client;

    public PrivateBenchJob() { }

    private PrivateBenchJob(FoldedWeights? owner, bool client)
    {
        _owner = owner;
        _client = client;
    }

    public static PrivateBenchJob ForClient() => new(null, true);

    public static PrivateBenchJob ForOwner(FoldedWeights owner) => new(owner, false);

    public string Name => JobName;

    public string Description => "per-step cost of private decoding at a given context (benchmark)";

    public PrivateRunResult? Result { get; private set; }

    public static Dictionary<string, string> Arguments(PrivateBenchPoint point) => new()
    {
        ["context"] = point.Context.ToString(CultureInfo.InvariantCulture),
        ["steps"] = point.Steps.ToString(CultureInfo.InvariantCulture),
        ["layers_only"] = point.LayersOnly ? "1" : "0",
        ["cache"] = point.Cache?.Spec ?? "full",
    };

    public void Run(PartyJobContext context)
    {
        var config = PrivateJobArguments.Config(context);
        var point = new PrivateBenchPoint(checked((int)context.LongArgument("context", 2)), checked((int)context.LongArgument("steps", 1)),
            context.Argument("layers_only", "0") == "1", Engine.CachePolicies.CachePolicyOptions.Parse(context.Argument("cache", "full")));
        using var mpc = PrivateJobArguments.Connect(context);
        var result = PrivateDecodeBenchmark.Run(mpc, config, point, _owner);
        Result = result;
        context.Results["total"] = PrivateJobArguments.Encode(result.Total);
        context.Results["setup"] = PrivateJobArguments.Encode(result.Setup);
        context.Results["prefill"] = PrivateJobArguments.Encode(result.Prefill);
        context.Results["steps"] = string.Join(";", result.DecodeSteps.Select(PrivateJobArguments.Encode));
        context.Results["last_step_labels"] = PrivateJobArguments.EncodeLabels(result.LastStepByLabel);
    }
}
