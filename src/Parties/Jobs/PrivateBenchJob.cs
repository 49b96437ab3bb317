using System.Globalization;
using PrivateInference.Engine.Benchmarks;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Jobs;

/// <summary>One point of `pi bench private` over party processes; roles as in <see cref="PrivateGenerateJob"/>.</summary>
public sealed class PrivateBenchJob : IValidatingPartyJob
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
        [SessionTerms.CachePolicyArgument] = point.Cache?.Spec ?? SessionTerms.FullCache,
    };

    public void ValidateOpen(JobArguments arguments, ClusterConfig cluster,
        IReadOnlyCollection<int> externalEndpoints, SessionTerms expected, Storage.ShareStore? store) =>
        Point(arguments.Values, PrivateJobArguments.ValidateOpen(arguments, cluster, externalEndpoints, expected));

    private static PrivateBenchPoint Point(IReadOnlyDictionary<string, string> arguments, Engine.Models.LlamaConfig config) => new(
        PrivateJobArguments.Bounded(arguments, "context", 2, config.SeqLen), PrivateJobArguments.Bounded(arguments, "steps", 1, 1 << 16),
        arguments.GetValueOrDefault("layers_only", "0") == "1",
        Engine.CachePolicies.CachePolicyOptions.Parse(arguments.GetValueOrDefault(SessionTerms.CachePolicyArgument, SessionTerms.FullCache)));

    public void Run(PartyJobContext context)
    {
        var config = PrivateJobArguments.Config(context);
        var point = Point(context.Arguments, config);
        PrivateJobArguments.CheckOwnerModel(context, _owner);
        using var mpc = PrivateJobArguments.Connect(context);
        var result = PrivateDecodeBenchmark.Run(mpc, config, point, _owner);
        Result = result;
        context.PrivateRun = PrivateRunStatsRecords.ToRecord(result);
    }
}
