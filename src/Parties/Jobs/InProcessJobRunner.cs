using Microsoft.Extensions.Logging.Abstractions;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// Runs every role of a job as threads of this process, over the same session transport and framing as the
/// gRPC path but with frames handed over in memory. A job's deterministic results from here and from a
/// <c>ClusterClient</c> run against real processes must agree: that comparison is how a protocol job
/// shows that process plumbing changes nothing.
/// </summary>
public static class InProcessJobRunner
{
    public static Task<JobOutcome> RunAsync(
        IPartyJob job, JobArguments? arguments = null, string scheme = "3pc", bool withClient = false, bool withOwner = false,
        NetworkProfile? network = null, TransportOptions? options = null) =>
        RunAsync(job, arguments, scheme, withClient ? job : null, withOwner ? job : null, SessionTerms.Any, network, options);

    /// <summary>
    /// Runs <paramref name="partyJob"/> at the three parties and the given client and owner parts, after the checks a
    /// party makes when a session is opened (<see cref="SessionOpening"/>, with <paramref name="expected"/> terms at
    /// every party): a request the gRPC route refuses is refused here with the same message, as a
    /// <see cref="JobFailedException"/>, before any part runs.
    /// </summary>
    public static async Task<JobOutcome> RunAsync(
        IPartyJob partyJob, JobArguments? arguments, string scheme, IPartyJob? clientPart, IPartyJob? ownerPart,
        SessionTerms? expected = null, NetworkProfile? network = null, TransportOptions? options = null, Func<int, Storage.ShareStore?>? stores = null)
    {
        arguments ??= new JobArguments();
        network ??= NetworkProfile.None;
        options ??= TransportOptions.Default;
        var cluster = new ClusterConfig($"in-process-{scheme}", scheme,
            Enumerable.Range(0, 3).Select(id => new PartyAddress(id, "in-process", id + 1)).ToArray()).Validated();
        var parts = new Dictionary<int, IPartyJob>();
        if (clientPart is not null)
            parts[Endpoints.Client] = clientPart;
        if (ownerPart is not null)
            parts[Endpoints.ModelOwner] = ownerPart;
        int[] externals = [.. parts.Keys];
        var sessionId = $"{partyJob.Name}-in-process-{Guid.NewGuid():N}";
        foreach (var party in cluster.PartyIds)
        {
            try
            {
                SessionOpening.Check(sessionId, partyJob, arguments, externals, cluster, expected ?? SessionTerms.Any, stores?.Invoke(party));
            }
            catch (Exception e) when (e is ArgumentException or SessionTermsException or InvalidOperationException)
            {
                throw new JobFailedException($"could not open session '{sessionId}': party {party}: {e.Message}");
            }
        }
        var endpoints = cluster.PartyIds.Concat(externals).ToArray();
        var routers = endpoints.ToDictionary(e => e, _ => new SessionRouter());
        var noExternalLinks = new Dictionary<int, string>();
        var externalLinks = externals.ToDictionary(e => e, LinkId);
        // As over gRPC, the client and model owner are linked to the parties only, not to each other.
        // Liveness as over gRPC, where heartbeats keep a computing peer's link alive: a peer whose part is still
        // running here is heard from (a thread of this process), one that has ended is judged by its data alone.
        var running = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>(endpoints.Select(e => KeyValuePair.Create(e, true)));
        InMemorySink Sink(int to, int from) => new(routers[to], from, () => running[to]);
        var transports = endpoints.ToDictionary(e => e, e => Endpoints.IsExternal(e)
            ? routers[e].Open(sessionId, e, cluster.PartyIds.Append(e), noExternalLinks, to => Sink(to, e), options)
            : routers[e].Open(sessionId, e, endpoints, externalLinks, to => Sink(to, e), options));

        var runs = endpoints.Select(async e =>
        {
            try
            {
                return await JobExecutor.StartAsync(parts.GetValueOrDefault(e, partyJob), transports[e], cluster, arguments, network,
                    NullLogger.Instance, CancellationToken.None, Endpoints.IsExternal(e) ? null : stores?.Invoke(e)).ConfigureAwait(false);
            }
            finally { running[e] = false; }
        }).ToArray();
        var results = (await Task.WhenAll(runs).ConfigureAwait(false)).Select(PartyJobResult.From).ToArray();
        return new JobOutcome(sessionId, results.Where(r => !Endpoints.IsExternal(r.PartyId)).ToArray(),
            results.FirstOrDefault(r => r.PartyId == Endpoints.Client), results.FirstOrDefault(r => r.PartyId == Endpoints.ModelOwner));
    }

    private static string LinkId(int endpoint) => $"in-process-{endpoint}";

    private sealed class InMemorySink(SessionRouter receiver, int from, Func<bool> peerRunning) : IFrameSink
    {
        /// <summary>Heard from just now while the peer's part runs (it computes, it is not gone); afterwards nothing.</summary>
        public TimeSpan? SinceHeard => peerRunning() ? TimeSpan.Zero : null;

        public void Enqueue(LinkMessage message)
        {
            if (message.Data is not null)
                receiver.Deliver(from, LinkId(from), message.Data);
            else if (message.Abort is not null)
                receiver.DeliverAbort(from, LinkId(from), message.Abort);
        }
    }
}
