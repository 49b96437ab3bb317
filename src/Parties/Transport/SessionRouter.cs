using System.Collections.Concurrent;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// Demultiplexes frames arriving on the shared links into per-session transports, and rejects frames for
/// sessions that are unknown, already closed, or bound to a different client link.
/// </summary>
internal sealed class SessionRouter
{
    private const int RememberedClosedSessions = 4096;

    private readonly ConcurrentDictionary<string, Entry> _open = new();
    private readonly HashSet<string> _closed = [];
    private readonly Queue<string> _closedOrder = new();

    public int OpenCount => _open.Count;

    /// <param name="externalLinks">For the client/owner endpoints in the session: the link id each dialled in with.</param>
    public GrpcTransport Open(
        string sessionId, int localEndpoint, IEnumerable<int> endpoints, IReadOnlyDictionary<int, string> externalLinks,
        Func<int, IFrameSink?> route, TransportOptions options)
    {
        if (string.IsNullOrWhiteSpace(sessionId))
            throw new ArgumentException("a session id must not be empty");
        lock (_closed)
        {
            if (_closed.Contains(sessionId))
                throw new InvalidOperationException($"session '{sessionId}' was already used and closed");
        }
        var transport = new GrpcTransport(sessionId, localEndpoint, endpoints, route, options, Close);
        if (!_open.TryAdd(sessionId, new Entry(transport, externalLinks)))
            throw new InvalidOperationException($"session '{sessionId}' is already open");
        return transport;
    }

    public void Deliver(int fromEndpoint, string linkId, DataFrame frame) =>
        Find(fromEndpoint, linkId, frame.SessionId, $"frame {frame.Sequence}").Accept(fromEndpoint, frame);

    public void DeliverAbort(int fromEndpoint, string linkId, SessionAbort abort)
    {
        // When a session fails, every endpoint tells every other; those that closed first need no telling.
        lock (_closed)
        {
            if (_closed.Contains(abort.SessionId))
                return;
        }
        Find(fromEndpoint, linkId, abort.SessionId, abort.Finished ? "end notice" : "abort notice")
            .FailPeer(fromEndpoint, abort.Finished
                ? $"{Endpoints.Name(fromEndpoint)} finished its part of the session and sends nothing more"
                : $"{Endpoints.Name(fromEndpoint)} aborted the session: {abort.Reason}");
    }

    /// <summary>A link went down: every open session that routes through it loses that peer.</summary>
    public void FailLink(int peerEndpoint, string linkId, string reason, Exception? cause = null)
    {
        foreach (var entry in _open.Values)
        {
            if (Endpoints.IsExternal(peerEndpoint)
                && (!entry.ExternalLinks.TryGetValue(peerEndpoint, out var bound) || bound != linkId))
                continue;
            entry.Transport.FailPeer(peerEndpoint, reason, cause);
        }
    }

    private GrpcTransport Find(int fromEndpoint, string linkId, string sessionId, string what)
    {
        if (!_open.TryGetValue(sessionId, out var entry))
        {
            bool closed;
            lock (_closed)
                closed = _closed.Contains(sessionId);
            throw new TransportException(closed
                ? $"rejected {what} from {Endpoints.Name(fromEndpoint)} for session '{sessionId}', which is already closed"
                : $"rejected {what} from {Endpoints.Name(fromEndpoint)} for unknown session '{sessionId}'");
        }
        if (Endpoints.IsExternal(fromEndpoint)
            && (!entry.ExternalLinks.TryGetValue(fromEndpoint, out var bound) || bound != linkId))
            throw new TransportException(
                $"rejected {what} for session '{sessionId}' from a {Endpoints.Name(fromEndpoint)} link that is not bound to the session");
        return entry.Transport;
    }

    private void Close(GrpcTransport transport)
    {
        if (!_open.TryRemove(transport.SessionId, out _))
            return;
        lock (_closed)
        {
            _closed.Add(transport.SessionId);
            _closedOrder.Enqueue(transport.SessionId);
            if (_closedOrder.Count > RememberedClosedSessions)
                _closed.Remove(_closedOrder.Dequeue());
        }
    }

    private sealed record Entry(GrpcTransport Transport, IReadOnlyDictionary<int, string> ExternalLinks);
}
