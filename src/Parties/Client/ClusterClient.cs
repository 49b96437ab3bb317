using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Client;

/// <summary>
/// A client of a running cluster: health checks, and running a named job in a fresh session on every party.
/// When a job has a client part (the client holding the prompt and receiving output shares) or a model-owner
/// part (sharing the weights), pass them: this process then joins the session's mesh as endpoint 3 and/or 4
/// and runs those parts locally while the parties run theirs. Client and owner talk to the parties only.
/// </summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private readonly ClusterClientOptions _options;
    private readonly Dictionary<int, GrpcChannel> _channels;
    private readonly Dictionary<int, PartyControl.PartyControlClient> _control;
    private readonly Dictionary<int, LinkMesh> _meshes = new();

    private readonly X509Certificate2? _clientCertificate;

    /// <summary>Throws <see cref="ClusterConfigException"/> when the cluster is plaintext and the options do not allow it,
    /// or when a TLS cluster's client key cannot be loaded or is not the one the cluster file pins.</summary>
    public ClusterClient(ClusterConfig cluster, ClusterClientOptions? options = null)
    {
        _options = options ?? new ClusterClientOptions();
        Cluster = cluster;
        if (!cluster.Secure && !_options.AllowInsecure)
            throw new PlaintextClusterException(
                $"cluster '{cluster.ClusterId}' pins no certificates: create keys with `pi keys`, or allow plaintext h2c without authentication explicitly");
        if (cluster.Secure)
            _clientCertificate = _options.OwnerOnly
                ? _options.OwnerCertificate ?? KeyFiles.LoadBeside(cluster, KeyFiles.Owner, Pinned(KeyFiles.Owner))
                : _options.ClientCertificate ?? KeyFiles.LoadBeside(cluster, KeyFiles.Client, Pinned(KeyFiles.Client));
        _channels = cluster.Parties.ToDictionary(p => p.Id, p => PartyChannels.Create(p, _clientCertificate, _options.Logger));
        _control = _channels.ToDictionary(c => c.Key, c => new PartyControl.PartyControlClient(c.Value));
    }

    private string? Pinned(string role) => Cluster.Clients?.FirstOrDefault(c => c.Role == role)?.CertSha256;

    public ClusterConfig Cluster { get; }

    public async Task<IReadOnlyList<HealthReply>> HealthAsync(CancellationToken cancellation = default) =>
        await Task.WhenAll(_control.Select(async c => await c.Value.HealthAsync(
            new HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellation).ResponseAsync.ConfigureAwait(false)))
            .ConfigureAwait(false);

    /// <summary>One health call to one party: a unary round trip, for latency measurements.</summary>
    public async Task<HealthReply> PingAsync(int partyId, CancellationToken cancellation = default) =>
        await _control[partyId].HealthAsync(new HealthRequest(), cancellationToken: cancellation).ResponseAsync.ConfigureAwait(false);

    /// <summary>Waits until every party answers and reports links to all others; throws <see cref="TimeoutException"/>
    /// saying which parties were not ready.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var notReady = new Dictionary<int, string>();
        while (true)
        {
            notReady.Clear();
            foreach (var (id, control) in _control)
            {
                try
                {
                    var health = await control.HealthAsync(new HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellation)
                        .ResponseAsync.ConfigureAwait(false);
                    if (health.ClusterId != Cluster.ClusterId)
                        notReady[id] = $"answers for cluster '{health.ClusterId}'";
                    else if (!health.Ready)
                        notReady[id] = $"linked to parties [{string.Join(", ", health.ConnectedParties)}] only";
                }
                catch (RpcException e) when (!cancellation.IsCancellationRequested)
                {
                    notReady[id] = $"unreachable ({e.Status.StatusCode})";
                }
            }
            if (notReady.Count == 0)
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"cluster '{Cluster.ClusterId}' not ready after {timeout.TotalSeconds:0.#} s: " +
                    string.Join("; ", notReady.Select(p => $"party {p.Key} {p.Value}")));
            await Task.Delay(50, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs <paramref name="job"/> on every party in a new session. Opens the session everywhere first, so no
    /// party can receive a frame for a session it does not know yet, then runs it everywhere at once.
    /// </summary>
    public async Task<JobOutcome> RunJobAsync(
        string job, JobArguments? arguments = null, IPartyJob? clientPart = null,
        IPartyJob? ownerPart = null, CancellationToken cancellation = default)
    {
        arguments ??= new JobArguments();
        var sessionId = $"{job}-{Guid.NewGuid():N}";
        var open = new OpenSessionRequest { SessionId = sessionId, Job = job, Model = arguments.Model };
        foreach (var (name, value) in arguments.Values)
            open.Arguments[name] = value;
        var localParts = new Dictionary<int, IPartyJob>();
        if (clientPart is not null)
            localParts[Endpoints.Client] = clientPart;
        if (clientPart is not null && _options.OwnerOnly)
            throw new InvalidOperationException("a client of the model owner alone cannot run a client part");
        if (ownerPart is not null)
            localParts[Endpoints.ModelOwner] = ownerPart;
        var localSessions = new Dictionary<int, GrpcTransport>();
        try
        {
            foreach (var endpoint in localParts.Keys)
            {
                var mesh = await JoinMeshAsync(endpoint, cancellation).ConfigureAwait(false);
                localSessions[endpoint] = mesh.OpenSession(sessionId);
                open.EndpointLinks[endpoint] = mesh.LinkId;
            }
            await Task.WhenAll(_control.Values.Select(c => c.OpenSessionAsync(open, cancellationToken: cancellation).ResponseAsync))
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or TransportException or ClusterConfigException)
        {
            foreach (var session in localSessions.Values)
                session.Dispose();
            await CloseEverywhereAsync(sessionId).ConfigureAwait(false);
            throw new JobFailedException($"could not open session '{sessionId}': {(e as RpcException)?.Status.Detail ?? e.Message}");
        }

        // Cancelled only to stop waiting for a party that no longer answers (see below), never to cancel the job.
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var grace = _options.Transport.ReceiveTimeout;
        var parties = _control.Select(c => RunAtAsync(c.Key, c.Value, sessionId, grace, abandon.Token, cancellation)).ToArray();
        var locals = localParts.ToDictionary(p => p.Key, p => JobExecutor.StartAsync(
            p.Value, localSessions[p.Key], Cluster, arguments, _options.Network, _options.Logger, cancellation));
        // Once any endpoint has failed, every live one learns it at once (abort notices) and answers quickly; a party
        // that is frozen or cut off would keep its RunSession call open forever. So after the first failure the
        // client waits at most one receive timeout more, then reports such a party as not answering.
        var pending = parties.Select(t => (Task)t).Concat(locals.Values).ToList();
        var graceStarted = false;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            var failed = done switch
            {
                Task<PartyJobResult> party => !party.Result.Ok,
                Task<JobResult> local => !local.Result.Ok,
                _ => false,
            };
            if (failed && !graceStarted)
            {
                // Once only: a later failure must not push the deadline back.
                graceStarted = true;
                abandon.CancelAfter(grace);
            }
        }
        var partyResults = parties.Select(t => t.Result).ToArray();
        return new JobOutcome(sessionId, partyResults, LocalResult(Endpoints.Client), LocalResult(Endpoints.ModelOwner));

        PartyJobResult? LocalResult(int endpoint) =>
            locals.TryGetValue(endpoint, out var run) ? PartyJobResult.From(run.Result) : null;
    }

    /// <summary>After a failed open: the parties that did open the session free it (best effort, briefly).</summary>
    private async Task CloseEverywhereAsync(string sessionId)
    {
        await Task.WhenAll(_control.Values.Select(async control =>
        {
            try
            {
                await control.CloseSessionAsync(new CloseSessionRequest { SessionId = sessionId }, deadline: DateTime.UtcNow.AddSeconds(2))
                    .ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // A party that cannot be reached holds nothing it could free, or drops the session later by itself.
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Asks every party process to exit.</summary>
    public async Task ShutdownClusterAsync(CancellationToken cancellation = default)
    {
        foreach (var control in _control.Values)
        {
            try
            {
                await control.ShutdownAsync(new ShutdownRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellation)
                    .ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException)
            {
                // Already gone is as good as shut down.
            }
        }
    }

    private static async Task<PartyJobResult> RunAtAsync(int partyId, PartyControl.PartyControlClient control, string sessionId,
        TimeSpan grace, CancellationToken abandon, CancellationToken cancellation)
    {
        try
        {
            var reply = await control.RunSessionAsync(new RunSessionRequest { SessionId = sessionId }, cancellationToken: abandon)
                .ResponseAsync.ConfigureAwait(false);
            return PartyJobResult.From(reply);
        }
        catch (RpcException e) when (!cancellation.IsCancellationRequested)
        {
            return PartyJobResult.Unreachable(partyId, abandon.IsCancellationRequested
                ? $"party {partyId}: no answer within {grace.TotalSeconds:0.###} s after the session failed elsewhere (the party is stopped or cut off)"
                : $"party {partyId}: {e.Status.StatusCode}: {e.Status.Detail}");
        }
    }

    private async Task<LinkMesh> JoinMeshAsync(int endpoint, CancellationToken cancellation)
    {
        LinkMesh? mesh;
        // Concurrent jobs of one client share its links, so the first to need a mesh creates it for all.
        lock (_meshes)
        {
            if (!_meshes.TryGetValue(endpoint, out mesh))
            {
                mesh = new LinkMesh(Cluster, endpoint, _options.Transport, _options.Logger, CertificateFor(endpoint));
                _meshes[endpoint] = mesh;
                mesh.StartDialing();
            }
        }
        await mesh.WaitReadyAsync(TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
        return mesh;
    }

    private X509Certificate2? CertificateFor(int endpoint)
    {
        if (!Cluster.Secure)
            return null;
        if (endpoint == Endpoints.Client || _options.OwnerOnly)
            return _clientCertificate;
        // Loaded only when this process actually plays the owner, so a client-only host needs no owner key.
        return _options.OwnerCertificate ?? KeyFiles.LoadBeside(Cluster, KeyFiles.Owner, Pinned(KeyFiles.Owner));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var mesh in _meshes.Values)
            await mesh.DisposeAsync().ConfigureAwait(false);
        foreach (var channel in _channels.Values)
            channel.Dispose();
    }
}
