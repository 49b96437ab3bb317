using Microsoft.Extensions.Logging.Abstractions;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Hosting;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// Runs every role of a job as threads of this process, over the same session transport and framing as the
/// gRPC path but with frames handed over in memory. A job's deterministic results from here and from a
/// <see cref="ClusterClient"/> run against real processes must agree: that comparison is how a protocol job
/// shows that process plumbing changes nothing.
/// </summary>
public static class InProcessJobRunner
{
    public static async Task<JobOutcome> RunAsync(
        IPartyJob job, IReadOnlyDictionary<string, string>? arguments = null, string scheme = "3pc", bool withClient = false, bool withOwner = false,
        NetworkProfile? network = null, TransportOptions? options = null)
    {
        arguments ??= new Dictionary<string, string>();
        network ??= NetworkProfile.None;
        options ??= TransportOptions.Default;
        var cluster = new ClusterConfig($"in-process-{scheme}", scheme,
            Enumerable.Range(0, 3).Select(id => new PartyAddress(id, "in-process", id + 1)).ToArray()).Validated();
        int[] externals = [.. withClient ? [Endpoints.Client] : Array.Empty<int>(), .. withOwner ? [Endpoints.ModelOwner] : Array.Empty<int>()];
        var endpoints = cluster.PartyIds.Concat(externals).ToArray();
        var routers = endpoints.ToDictionary(e => e, _ => new SessionRouter());
        var sessionId = $"{job.Name}-in-process-{Guid.NewGuid():N}";
        var noExternalLinks = new Dictionary<int, string>();
        var externalLinks = externals.ToDictionary(e => e, LinkId);
        // As over gRPC, the client and model owner are linked to the parties only, not to each other.
        var transports = endpoints.ToDictionary(e => e, e => Endpoints.IsExternal(e)
            ? routers[e].Open(sessionId, e, cluster.PartyIds.Append(e), noExternalLinks, to => new InMemorySink(routers[to], e), options)
            : routers[e].Open(sessionId, e, endpoints, externalLinks, to => new InMemorySink(routers[to], e), options));

        var runs = endpoints.Select(e => JobExecutor.StartAsync(job, transports[e], cluster, arguments, network, NullLogger.Instance, CancellationToken.None)).ToArray();
        var results = (await Task.WhenAll(runs).ConfigureAwait(false)).Select(PartyJobResult.From).ToArray();
        return new JobOutcome(sessionId, results.Where(r => !Endpoints.IsExternal(r.PartyId)).ToArray(),
            results.FirstOrDefault(r => r.PartyId == Endpoints.Client), results.FirstOrDefault(r => r.PartyId == Endpoints.ModelOwner));
    }

    private static string LinkId(int endpoint) => $"in-process-{endpoint}";

    private sealed class InMemorySink(SessionRouter receiver, int from) : IFrameSink
    {
        public void Enqueue(LinkMessage message)
        {
            if (message.Data is not null)
                receiver.Deliver(from, LinkId(from), message.Data);
            else if (message.Abort is not null)
                receiver.DeliverAbort(from, LinkId(from), message.Abort);
        }
    }
}
