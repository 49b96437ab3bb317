using Grpc.Core;
using Grpc.Net.Client;
using PrivateInference.Parties.Hosting;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Client;

/// <summary>
/// A client of a running cluster: health checks, and running a named job in a fresh session on every party.
/// When a job has a client part (the client holding the prompt and receiving output shares), pass it as
/// <c>clientPart</c>: the client then joins the session's mesh as endpoint 3 (or 4 for the model owner) and
/// runs that part locally while the parties run theirs.
/// </summary>
public sealed class ClusterClient : IAsyncDisposable
{
    private readonly ClusterClientOptions _options;
    private readonly Dictionary<int, GrpcChannel> _channels;
    private readonly Dictionary<int, PartyControl.PartyControlClient> _control;
    private LinkMesh? _mesh;

    public ClusterClient(ClusterConfig cluster, ClusterClientOptions? options = null)
    {
        _options = options ?? new ClusterClientOptions();
        if (!Endpoints.IsExternal(_options.EndpointId))
            throw new ArgumentException($"a client joins as endpoint {Endpoints.Client} or {Endpoints.ModelOwner}, not {_options.EndpointId}");
        Cluster = cluster;
        _channels = cluster.Parties.ToDictionary(p => p.Id, PartyChannels.Create);
        _control = _channels.ToDictionary(c => c.Key, c => new PartyControl.PartyControlClient(c.Value));
    }

    public ClusterConfig Cluster { get; }

    public async Task<IReadOnlyList<HealthReply>> HealthAsync(CancellationToken cancellation = default) =>
        await Task.WhenAll(_control.Select(async c => await c.Value.HealthAsync(
            new HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(5), cancellationToken: cancellation).ResponseAsync.ConfigureAwait(false)))
            .ConfigureAwait(false);

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
        string job, IReadOnlyDictionary<string, string>? arguments = null, IPartyJob? clientPart = null,
        CancellationToken cancellation = default)
    {
        arguments ??= new Dictionary<string, string>();
        var sessionId = $"{job}-{Guid.NewGuid():N}";
        var open = new OpenSessionRequest { SessionId = sessionId, Job = job };
        foreach (var (name, value) in arguments)
            open.Arguments[name] = value;
        GrpcTransport? local = null;
        if (clientPart is not null)
        {
            var mesh = await JoinMeshAsync(cancellation).ConfigureAwait(false);
            local = mesh.OpenSession(sessionId);
            open.EndpointLinks[_options.EndpointId] = mesh.LinkId;
        }
        try
        {
            await Task.WhenAll(_control.Values.Select(c => c.OpenSessionAsync(open, cancellationToken: cancellation).ResponseAsync))
                .ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            local?.Dispose();
            throw new JobFailedException($"could not open session '{sessionId}': {e.Status.Detail}");
        }

        var parties = _control.Select(c => RunAtAsync(c.Key, c.Value, sessionId, cancellation)).ToArray();
        var client = clientPart is null || local is null
            ? Task.FromResult<JobResult?>(null)
            : JobExecutor.StartAsync(clientPart, local, Cluster, arguments, _options.Network, _options.Logger, cancellation)
                .ContinueWith(t => (JobResult?)t.Result, TaskScheduler.Default);
        var results = await Task.WhenAll(parties).ConfigureAwait(false);
        var clientResult = await client.ConfigureAwait(false);
        return new JobOutcome(sessionId, results, clientResult is null ? null : PartyJobResult.From(clientResult));
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

    private static async Task<PartyJobResult> RunAtAsync(
        int partyId, PartyControl.PartyControlClient control, string sessionId, CancellationToken cancellation)
    {
        try
        {
            var reply = await control.RunSessionAsync(new RunSessionRequest { SessionId = sessionId }, cancellationToken: cancellation)
                .ResponseAsync.ConfigureAwait(false);
            return PartyJobResult.From(reply);
        }
        catch (RpcException e) when (!cancellation.IsCancellationRequested)
        {
            return PartyJobResult.Unreachable(partyId, $"party {partyId}: {e.Status.StatusCode}: {e.Status.Detail}");
        }
    }

    private async Task<LinkMesh> JoinMeshAsync(CancellationToken cancellation)
    {
        if (_mesh is null)
        {
            _mesh = new LinkMesh(Cluster, _options.EndpointId, _options.Transport, _options.Logger);
            _mesh.StartDialing();
        }
        await _mesh.WaitReadyAsync(TimeSpan.FromSeconds(30), cancellation).ConfigureAwait(false);
        return _mesh;
    }

    public async ValueTask DisposeAsync()
    {
        if (_mesh is not null)
            await _mesh.DisposeAsync().ConfigureAwait(false);
        foreach (var channel in _channels.Values)
            channel.Dispose();
    }
}
