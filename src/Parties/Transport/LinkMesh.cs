using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// One endpoint's set of long-lived links and the sessions multiplexed over them. The endpoint with the higher id
/// dials: party j dials every party i &lt; j, and the client (3) and model owner (4) dial every party, so a
/// party's server only ever accepts and the links form without coordination. A dialled link that breaks is
/// dialled again; sessions that were using it fail.
/// </summary>
public sealed class LinkMesh : IAsyncDisposable
{
    private static readonly TimeSpan RedialDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MisconfiguredRedialDelay = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<int, PeerLink> _partyLinks = new();
    // Keyed by endpoint and link id together: a link serves only the role it said hello as, so no other endpoint's
    // hello can take over a session's client (or owner) link by repeating its id.
    private readonly ConcurrentDictionary<(int Endpoint, string LinkId), PeerLink> _externalLinks = new();
    private readonly object _registration = new();
    private readonly ConcurrentDictionary<int, GrpcChannel> _channels = new();
    private readonly List<Task> _dialers = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;

    private readonly X509Certificate2? _certificate;

    /// <param name="certificate">This endpoint's certificate with its key, presented on every link it dials
    /// (required when the cluster pins certificates).</param>
    /// <param name="linkId">The id sent in this endpoint's hellos; a fresh random one unless given (tests).</param>
    public LinkMesh(ClusterConfig cluster, int localEndpoint, TransportOptions options, ILogger logger, X509Certificate2? certificate = null,
        string? linkId = null)
    {
        LinkId = linkId ?? Guid.NewGuid().ToString("N");
        if (cluster.Secure && certificate is null)
            throw new ClusterConfigException($"cluster '{cluster.ClusterId}' pins certificates: {Endpoints.Name(localEndpoint)} needs its key");
        _certificate = certificate;
        if (!Endpoints.IsExternal(localEndpoint))
            cluster.Party(localEndpoint);
        Cluster = cluster;
        LocalEndpoint = localEndpoint;
        Options = options;
        _logger = logger;
    }

    public ClusterConfig Cluster { get; }

    public int LocalEndpoint { get; }

    public TransportOptions Options { get; }

    /// <summary>Sent in this endpoint's hellos; a party binds a client's sessions to it.</summary>
    public string LinkId { get; }

    internal SessionRouter Router { get; } = new();

    public int OpenSessions => Router.OpenCount;

    public IReadOnlyList<int> ConnectedParties => _partyLinks.Keys.Order().ToArray();

    /// <summary>True once a link to every other party is up.</summary>
    public bool Ready => Cluster.PartyIds.Where(p => p != LocalEndpoint).All(_partyLinks.ContainsKey);

    /// <summary>Frames rejected (unknown or closed session, bad sequence) on the links that are up now.</summary>
    public long RejectedFrames =>
        _partyLinks.Values.Concat(_externalLinks.Values).Sum(l => l.RejectedFrames);

    /// <summary>Starts the dial loops this endpoint is responsible for; they redial until disposal.</summary>
    public void StartDialing()
    {
        foreach (var party in Cluster.Parties.Where(p => Endpoints.IsExternal(LocalEndpoint) || p.Id < LocalEndpoint))
            _dialers.Add(Task.Run(() => DialLoopAsync(party)));
    }

    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        try
        {
            while (!Ready)
                await Task.Delay(10, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            var missing = Cluster.PartyIds.Where(p => p != LocalEndpoint && !_partyLinks.ContainsKey(p));
            throw new TransportException(
                $"{Endpoints.Name(LocalEndpoint)} could not link to {string.Join(", ", missing.Select(Endpoints.Name))} within {timeout.TotalSeconds:0.#} s");
        }
    }

    /// <summary>
    /// Opens a session over the mesh. On a party, <paramref name="externalLinks"/> names the links of the client
    /// and/or model owner taking part; at the client it is empty (its peers are the parties).
    /// </summary>
    public GrpcTransport OpenSession(string sessionId, IReadOnlyDictionary<int, string>? externalLinks = null)
    {
        externalLinks ??= new Dictionary<int, string>();
        foreach (var (endpoint, linkId) in externalLinks)
        {
            if (!Endpoints.IsExternal(endpoint))
                throw new ArgumentException($"endpoint {endpoint} is a party, not a client or model owner");
            if (!_externalLinks.ContainsKey((endpoint, linkId)))
                throw new TransportException($"the {Endpoints.Name(endpoint)} link named for session '{sessionId}' is not connected");
        }
        var endpoints = Cluster.PartyIds.Concat(externalLinks.Keys).Append(LocalEndpoint);
        return Router.Open(sessionId, LocalEndpoint, endpoints, externalLinks, Route, Options);

        IFrameSink? Route(int endpoint) =>
            Endpoints.IsExternal(endpoint)
                ? externalLinks.TryGetValue(endpoint, out var id) ? _externalLinks.GetValueOrDefault((endpoint, id)) : null
                : _partyLinks.GetValueOrDefault(endpoint);
    }

    /// <summary>The server side of <c>PartyLink.Link</c> (<see cref="LinkWire.Link"/>): handshake, then run until either side ends.</summary>
    internal async Task AcceptAsync(
        IAsyncStreamReader<LinkMessage> requests, IServerStreamWriter<LinkMessage> responses, ServerCallContext context)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping.Token);
        LinkHello hello;
        using (var helloLimit = CancellationTokenSource.CreateLinkedTokenSource(both.Token))
        {
            helloLimit.CancelAfter(HelloTimeout);
            if (!await requests.MoveNext(helloLimit.Token).ConfigureAwait(false) || requests.Current.Hello is null)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "a link must start with a hello"));
            hello = requests.Current.Hello;
        }
        var fingerprint = PresentedFingerprint(context);
        var refusal = CheckIncomingHello(hello) ?? CheckIdentity(hello, fingerprint);
        // Registered before the hello reply, so that a dialler who has its answer can open sessions at once.
        var link = new PeerLink(hello.FromEndpoint, hello.LinkId, _logger, fingerprint);
        refusal ??= Register(link);
        if (refusal is not null)
        {
            _logger.LogWarning("Refused a link: {Reason}", refusal);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, refusal));
        }
        var reason = "the hello reply could not be sent";
        try
        {
            await responses.WriteAsync(new LinkMessage { Hello = OwnHello(hello.FromEndpoint) }, both.Token).ConfigureAwait(false);
            _logger.LogInformation("Link from {Peer} up", Endpoints.Name(hello.FromEndpoint));
            reason = await link.RunAsync(requests, responses, Router, both.Token).ConfigureAwait(false);
            // A link that broke on bad input ends with an error status, not as if the dialler had said goodbye.
            if (link.ReadFailure is not null && !both.IsCancellationRequested)
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"link from {Endpoints.Name(hello.FromEndpoint)} ended: {reason}"));
        }
        finally
        {
            Unregister(link, reason);
        }
    }

    private string? CheckIncomingHello(LinkHello hello)
    {
        if (hello.ToEndpoint != LocalEndpoint)
            return $"a link meant for {Endpoints.Name(hello.ToEndpoint)} reached {Endpoints.Name(LocalEndpoint)}";
        if (!string.IsNullOrEmpty(hello.ClusterId) && hello.ClusterId != Cluster.ClusterId)
            return $"a link from cluster '{hello.ClusterId}' reached cluster '{Cluster.ClusterId}'";
        if (string.IsNullOrEmpty(hello.LinkId))
            return "a link hello without a link id";
        var from = hello.FromEndpoint;
        if (Endpoints.IsExternal(from))
            return null;
        if (!Cluster.PartyIds.Contains(from))
            return $"endpoint {from} is neither a party of this cluster nor the client or model owner";
        return from > LocalEndpoint ? null : $"{Endpoints.Name(from)} dialled {Endpoints.Name(LocalEndpoint)}, but lower ids are dialled, not dialling";
    }

    /// <summary>
    /// Adds an accepted link, or says why not. A client or owner link id names one endpoint's link: a hello that
    /// repeats a live id of another endpoint, or of the same endpoint under another certificate, is refused, so no
    /// link can take over sessions bound to someone else's. The same dialler redialling replaces its old link.
    /// </summary>
    private string? Register(PeerLink link)
    {
        lock (_registration)
        {
            if (!Endpoints.IsExternal(link.PeerEndpoint))
            {
                // A party that redials (it restarted, or its side of the stream broke first) replaces its old link.
                if (_partyLinks.TryGetValue(link.PeerEndpoint, out var previousParty))
                    previousParty.Close("replaced by a newer link from the same party");
                _partyLinks[link.PeerEndpoint] = link;
                return null;
            }
            foreach (var ((endpoint, id), existing) in _externalLinks)
            {
                if (id != link.LinkId)
                    continue;
                if (endpoint != link.PeerEndpoint)
                    return $"a link hello as {Endpoints.Name(link.PeerEndpoint)} reuses the link id of a live {Endpoints.Name(endpoint)} link";
                if (existing.Fingerprint != link.Fingerprint)
                    return $"a link hello as {Endpoints.Name(link.PeerEndpoint)} reuses the id of a live link opened with another certificate";
                existing.Close("replaced by a newer link from the same endpoint");
            }
            _externalLinks[(link.PeerEndpoint, link.LinkId)] = link;
            return null;
        }
    }

    private string? PresentedFingerprint(ServerCallContext context)
    {
        if (!Cluster.Secure)
            return null;
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        return certificate is null ? null : CertificateFingerprint.Of(certificate);
    }

    /// <summary>In a TLS cluster the certificate, not the hello, says who dials: a link may only claim the endpoint
    /// its certificate is pinned for, so a client cannot pose as a party or as the model owner.</summary>
    private string? CheckIdentity(LinkHello hello, string? fingerprint)
    {
        if (!Cluster.Secure)
            return null;
        if (Cluster.MayActAs(fingerprint, hello.FromEndpoint))
            return null;
        return fingerprint is null
            ? $"a link claiming to be {Endpoints.Name(hello.FromEndpoint)} came without a client certificate"
            : $"a link claiming to be {Endpoints.Name(hello.FromEndpoint)} presented certificate sha256 {fingerprint}, " +
              $"which the cluster file pins for {Cluster.Holder(fingerprint) ?? "no one"}";
    }

    private LinkHello OwnHello(int to) =>
        new() { FromEndpoint = LocalEndpoint, ToEndpoint = to, LinkId = LinkId, ClusterId = Cluster.ClusterId };

    private async Task DialLoopAsync(PartyAddress party)
    {
        var stopping = _stopping.Token;
        var channel = _channels.GetOrAdd(party.Id, _ => PartyChannels.Create(party, _certificate, _logger));
        var invoker = channel.CreateCallInvoker();
        var failuresLogged = false;
        while (!stopping.IsCancellationRequested)
        {
            var delay = RedialDelay;
            try
            {
                using var call = invoker.AsyncDuplexStreamingCall(LinkWire.Link, null, new CallOptions(cancellationToken: stopping));
                await call.RequestStream.WriteAsync(new LinkMessage { Hello = OwnHello(party.Id) }, stopping).ConfigureAwait(false);
                if (!await call.ResponseStream.MoveNext(stopping).ConfigureAwait(false) || call.ResponseStream.Current.Hello is not { } reply)
                    throw new TransportException($"{Endpoints.Name(party.Id)} did not answer the link hello");
                if (reply.FromEndpoint != party.Id)
                    throw new TransportException($"{party.Uri} answered as {Endpoints.Name(reply.FromEndpoint)}, not {Endpoints.Name(party.Id)}: check the cluster file");
                var link = new PeerLink(party.Id, LinkId, _logger);
                _partyLinks[party.Id] = link;
                failuresLogged = false;
                _logger.LogInformation("Link to {Peer} up", Endpoints.Name(party.Id));
                var reason = await link.RunAsync(call.ResponseStream, call.RequestStream, Router, stopping).ConfigureAwait(false);
                Unregister(link, reason);
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                // Peers start in any order, so unreachable peers are expected for a while and retried quietly;
                // a peer that refuses us or is not who the cluster file says points at a configuration error.
                var misconfigured = e is TransportException or RpcException { StatusCode: StatusCode.FailedPrecondition };
                if (!failuresLogged)
                    _logger.Log(misconfigured ? LogLevel.Warning : LogLevel.Debug, "Dialling {Peer} at {Uri} failed ({Reason}); retrying",
                        Endpoints.Name(party.Id), party.Uri, (e as RpcException)?.Status.Detail ?? e.Message);
                failuresLogged = true;
                delay = misconfigured ? MisconfiguredRedialDelay : RedialDelay;
            }
            catch (Exception)
            {
                break;
            }
            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private void Unregister(PeerLink link, string reason)
    {
        link.Close(reason);
        if (Endpoints.IsExternal(link.PeerEndpoint))
            _externalLinks.TryRemove(new KeyValuePair<(int, string), PeerLink>((link.PeerEndpoint, link.LinkId), link));
        else
            _partyLinks.TryRemove(new KeyValuePair<int, PeerLink>(link.PeerEndpoint, link));
        Router.FailLink(link.PeerEndpoint, link.LinkId, $"the link to {Endpoints.Name(link.PeerEndpoint)} went down: {reason}");
        if (_stopping.IsCancellationRequested)
            return;
        // Clients come and go as a matter of course; a party link going down is worth a warning.
        _logger.Log(Endpoints.IsExternal(link.PeerEndpoint) ? LogLevel.Information : LogLevel.Warning,
            "Link with {Peer} down: {Reason}", Endpoints.Name(link.PeerEndpoint), reason);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var link in _partyLinks.Values.Concat(_externalLinks.Values))
            link.Close("shutting down");
        try
        {
            await Task.WhenAll(_dialers).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Dial loops end on cancellation; a straggler must not block shutdown.
        }
        foreach (var channel in _channels.Values)
            channel.Dispose();
    }
}
