using System.Diagnostics;
using System.Globalization;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;
using PrivateInference.Protocols;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// The model owner secret-shares the folded weights to the parties once (`pi owner share`); each compute party keeps
/// its shares at rest in its store and serves later sessions from them, with the owner offline. Only the owner and
/// the parties take part. Each endpoint reports the time and the bytes it sent and received, nothing else.
/// </summary>
public sealed class ShareWeightsJob : IValidatingPartyJob
{
    public const string JobName = "share-weights";

    private readonly FoldedWeights? _owner;

    public ShareWeightsJob() { }

    private ShareWeightsJob(FoldedWeights owner) => _owner = owner;

    public static ShareWeightsJob ForOwner(FoldedWeights owner) => new(owner);

    public string Name => JobName;

    public string Description => "the model owner shares the weights once; every party stores its shares at rest";

    public void ValidateOpen(JobArguments arguments, ClusterConfig cluster,
        IReadOnlyCollection<int> externalEndpoints, SessionTerms expected, Storage.ShareStore? store)
    {
        PrivateJobArguments.ValidateOpen(arguments, cluster, externalEndpoints, expected, [PartyIds.ModelOwner]);
        if (store is null)
            throw new InvalidOperationException("this party was started without a share folder, so it cannot keep weight shares");
    }

    public void Run(PartyJobContext context)
    {
        var config = PrivateJobArguments.Config(context);
        PrivateJobArguments.CheckOwnerModel(context, _owner);
        using var mpc = PrivateJobArguments.Connect(context, [PartyIds.ModelOwner]);
        if (mpc.PartyId == PartyIds.ModelOwner && _owner is null)
            throw new InvalidOperationException("the model owner joined without its weights");
        var clock = Stopwatch.StartNew();
        var shares = PrivateWeights.ShareForStorage(mpc, config, mpc.PartyId == PartyIds.ModelOwner ? _owner : null);
        var shareMs = clock.Elapsed.TotalMilliseconds;
        if (PartyIds.ComputeParties.Contains(context.PartyId))
        {
            var store = context.Store ?? throw new InvalidOperationException("this party keeps no weight shares");
            store.Save(PrivateJobArguments.HeldModel(context.Arguments), shares);
        }
        context.Results["share_ms"] = shareMs.ToString("R", CultureInfo.InvariantCulture);
        context.Results["stored_ms"] = clock.Elapsed.TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture);
        context.PrivateRun = new Protos.PrivateRunStats { Total = PrivateRunStatsRecords.ToRecord(mpc.Channel.Total) };
    }
}
