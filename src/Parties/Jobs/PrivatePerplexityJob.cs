using System.Globalization;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Jobs;

/// <summary>Teacher-forced perplexity under MPC (`pi eval ppl --mode private`); roles as in <see cref="PrivateGenerateJob"/>.</summary>
public sealed class PrivatePerplexityJob : IValidatingPartyJob
{
    public const string JobName = "private-perplexity";

    private readonly IReadOnlyList<IReadOnlyList<int>>? _chunks;
    private readonly FoldedWeights? _owner;
    private readonly Action<int, PerplexityResult>? _progress;

    public PrivatePerplexityJob() { }

    private PrivatePerplexityJob(IReadOnlyList<IReadOnlyList<int>>? chunks, FoldedWeights? owner, Action<int, PerplexityResult>? progress)
    {
        _chunks = chunks;
        _owner = owner;
        _progress = progress;
    }

    public static PrivatePerplexityJob ForClient(IReadOnlyList<IReadOnlyList<int>> chunks, Action<int, PerplexityResult>? progress) => new(chunks, null, progress);

    public static PrivatePerplexityJob ForOwner(FoldedWeights owner) => new(null, owner, null);

    public static string ChunkLengths(IEnumerable<IReadOnlyList<int>> chunks) => string.Join(",", chunks.Select(c => c.Count));

    public string Name => JobName;

    public string Description => "teacher-forced perplexity under MPC (logits to the client only)";

    public PerplexityResult? Result { get; private set; }

    public void ValidateOpen(JobArguments arguments, ClusterConfig cluster,
        IReadOnlyCollection<int> externalEndpoints, SessionTerms expected, Storage.ShareStore? store) =>
        Lengths(arguments.Values, PrivateJobArguments.ValidateOpen(arguments, cluster, externalEndpoints, expected));

    private static int[] Lengths(IReadOnlyDictionary<string, string> arguments, Engine.Models.LlamaConfig config)
    {
        var parts = arguments.GetValueOrDefault("chunk_lengths", "").Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
            throw new ArgumentException("job argument 'chunk_lengths' names no chunk");
        var lengths = parts.Select(v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1).ToArray();
        if (lengths.Any(n => n < 1 || n > config.SeqLen))
            throw new ArgumentException($"chunk lengths must lie in 1..{config.SeqLen}");
        return lengths;
    }

    public void Run(PartyJobContext context)
    {
        var config = PrivateJobArguments.Config(context);
        var lengths = Lengths(context.Arguments, config);
        PrivateJobArguments.CheckOwnerModel(context, _owner);
        if (_chunks is not null && context.PartyId == Protocols.PartyIds.Client)
        {
            if (!_chunks.Select(c => c.Count).SequenceEqual(lengths))
                throw new ArgumentException("the client's chunks differ in length from those the session was opened for");
            PrivateJobArguments.CheckTokens(_chunks.SelectMany(c => c), config);
        }
        using var mpc = PrivateJobArguments.Connect(context);
        Result = PrivatePerplexity.Run(mpc, config, lengths, _owner, _chunks, _progress);
        context.PrivateRun = new Protos.PrivateRunStats { Total = PrivateRunStatsRecords.ToRecord(mpc.Channel.Total) };
    }
}
