using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Hosting;

/// <summary>
/// A party's sessions between the two phases of a job: opened (transport registered, frames accepted) and
/// then run once. Sessions opened but never run, because their client died in between, are dropped after a while.
/// </summary>
internal sealed class SessionJobRunner(PartyHostOptions options, LinkMesh mesh, PartyJobRegistry registry, ILogger<SessionJobRunner> logger)
{
    private static readonly TimeSpan UnrunSessionLifetime = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, OpenedSession> _opened = new();

    private const int MaxOpenSessions = 256;

    /// <summary>
    /// Registers a session after checking the request: ids and arguments within bounds, a known job, and (for jobs
    /// that validate) the job's arguments and session terms. Throws <see cref="ArgumentException"/> for a malformed
    /// request, <see cref="SessionTermsException"/> for terms this party does not accept, <see cref="KeyNotFoundException"/>
    /// for an unknown job; nothing is registered then.
    /// </summary>
    public void Open(string sessionId, string jobName, IDictionary<string, string> arguments, ModelShape? model, IDictionary<int, string> endpointLinks)
    {
        DropStaleSessions();
        if (mesh.OpenSessions >= MaxOpenSessions)
            throw new InvalidOperationException($"this party already has {MaxOpenSessions} open sessions");
        var job = registry.Get(jobName);
        var args = new JobArguments(new Dictionary<string, string>(arguments), model);
        SessionOpening.Check(sessionId, job, args, endpointLinks.Keys.ToArray(), options.Cluster, options.Expected, options.Store);
        var transport = mesh.OpenSession(sessionId, new Dictionary<int, string>(endpointLinks));
        _opened[sessionId] = new OpenedSession(job, transport, args, DateTime.UtcNow);
        logger.LogInformation("Session {Session} opened for {Job} with endpoints {Endpoints}",
            sessionId, jobName, string.Join(",", transport.Peers.Append(options.PartyId).Order()));
    }

    public async Task<JobResult> RunAsync(string sessionId, CancellationToken cancellation)
    {
        if (!_opened.TryRemove(sessionId, out var session))
            throw new KeyNotFoundException($"session '{SessionTerms.Clip(sessionId)}' was not opened here, or has already run");
        var result = await JobExecutor.StartAsync(
            session.Job, session.Transport, options.Cluster, session.Arguments, options.Network, logger, cancellation, options.Store).ConfigureAwait(false);
        logger.LogInformation("Session {Session} ({Job}) {Outcome} after {Ms:0.0} ms",
            sessionId, session.Job.Name, result.Ok ? "finished" : "failed", result.ElapsedMs);
        return result;
    }

    /// <summary>Frees a session that was opened but will not run; unknown ids are ignored (closing is idempotent).</summary>
    public void Close(string sessionId)
    {
        if (_opened.TryRemove(sessionId, out var session))
        {
            session.Transport.Dispose();
            logger.LogInformation("Session {Session} closed before it ran", sessionId);
        }
    }

    private void DropStaleSessions()
    {
        foreach (var (id, session) in _opened)
        {
            if (DateTime.UtcNow - session.OpenedAt > UnrunSessionLifetime && _opened.TryRemove(id, out _))
            {
                session.Transport.Dispose();
                logger.LogWarning("Session {Session} was opened but never run; dropped", id);
            }
        }
    }

    private sealed record OpenedSession(
        IPartyJob Job, GrpcTransport Transport, JobArguments Arguments, DateTime OpenedAt);
}
