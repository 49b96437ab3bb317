using Google.Protobuf;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// One session's view of the link mesh: an <see cref="ITransport"/> whose frames share the long-lived
/// per-pair links with every other session and are told apart by session id. Frame sequence numbers are
/// checked per sender, so a lost, replayed or reordered frame fails the session instead of corrupting it.
/// </summary>
public sealed class GrpcTransport : ITransport
{
    private readonly Dictionary<int, PeerState> _peers;
    private readonly Func<int, IFrameSink?> _route;
    private readonly TransportOptions _options;
    private readonly Action<GrpcTransport>? _onDispose;
    private int _disposed;

    internal GrpcTransport(
        string sessionId, int partyId, IEnumerable<int> peers, Func<int, IFrameSink?> route,
        TransportOptions options, Action<GrpcTransport>? onDispose = null)
    {
        SessionId = sessionId;
        PartyId = partyId;
        _route = route;
        _options = options;
        _onDispose = onDispose;
        _peers = peers.Where(p => p != partyId).Distinct().ToDictionary(p => p, p => new PeerState(
            new ByteStreamInbox($"session '{sessionId}', {Endpoints.Name(partyId)} receiving from {Endpoints.Name(p)}")));
    }

    public string SessionId { get; }

    public int PartyId { get; }

    /// <summary>The other endpoints of this session.</summary>
    public IReadOnlyCollection<int> Peers => _peers.Keys;

    public void Send(int toParty, ReadOnlySpan<byte> payload)
    {
        var peer = PeerFor(toParty, "send to");
        if (payload.IsEmpty)
            return;
        var sink = _route(toParty) ?? throw new TransportException(
            $"session '{SessionId}': no link from {Endpoints.Name(PartyId)} to {Endpoints.Name(toParty)}");
        // Sequence numbers are assigned and queued under one lock so that wire order equals numbering order
        // even when several threads of a job send to the same peer.
        lock (peer.SendGate)
        {
            foreach (var (offset, length) in FrameChunker.Chunks(payload.Length, _options.MaxChunkBytes))
            {
                // The caller may reuse its buffer once Send returns, so the chunk is copied, into a pooled array that
                // the link gives back after writing it (wrapping it without a copy is safe: nothing else sees it).
                var buffer = FrameBuffers.Rent(length);
                payload.Slice(offset, length).CopyTo(buffer);
                sink.Enqueue(new LinkMessage
                {
                    Data = new DataFrame
                    {
                        SessionId = SessionId,
                        Sequence = peer.NextOutgoing++,
                        Payload = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, length)),
                        PooledBuffer = buffer,
                    },
                });
            }
        }
    }

    public void Receive(int fromParty, Span<byte> destination)
    {
        var peer = PeerFor(fromParty, "receive from");
        if (!destination.IsEmpty)
            peer.Inbox.Read(destination, _options.ReceiveTimeout, () => _route(fromParty)?.SinceHeard);
    }

    /// <summary>Takes in one frame from <paramref name="fromEndpoint"/>; throws <see cref="TransportException"/>
    /// and fails the stream from that peer when the frame is not the next one expected.</summary>
    internal void Accept(int fromEndpoint, DataFrame frame)
    {
        if (frame.SessionId != SessionId)
            throw new TransportException(
                $"session '{SessionId}': rejected a frame of session '{frame.SessionId}' from {Endpoints.Name(fromEndpoint)}");
        if (!_peers.TryGetValue(fromEndpoint, out var peer))
            throw new TransportException(
                $"session '{SessionId}': rejected frame {frame.Sequence} from {Endpoints.Name(fromEndpoint)}, which is not part of the session");
        lock (peer.ReceiveGate)
        {
            // Senders never send an empty frame and chunk at the limit, so a frame of another size is not from this
            // transport; like a bad sequence number it fails the stream rather than being read as protocol bytes.
            if (frame.Payload.Length == 0 || frame.Payload.Length > _options.MaxChunkBytes)
            {
                var reason = frame.Payload.Length == 0
                    ? $"rejected empty frame {frame.Sequence}"
                    : $"rejected frame {frame.Sequence} of {frame.Payload.Length} bytes (frames carry at most {_options.MaxChunkBytes})";
                peer.Inbox.Fail(reason);
                throw new TransportException($"session '{SessionId}', from {Endpoints.Name(fromEndpoint)}: {reason}");
            }
            if (frame.Sequence != peer.NextIncoming)
            {
                var what = frame.Sequence < peer.NextIncoming ? "replayed" : "out of order";
                var reason = $"rejected {what} frame {frame.Sequence} (expected frame {peer.NextIncoming})";
                peer.Inbox.Fail(reason);
                throw new TransportException($"session '{SessionId}', from {Endpoints.Name(fromEndpoint)}: {reason}");
            }
            peer.NextIncoming++;
            // Appended under the same lock so that the byte order always matches the sequence order. The inbox owns
            // the pooled buffer from here on.
            var pooled = frame.PooledBuffer;
            frame.PooledBuffer = null;
            peer.Inbox.Append(frame.Payload.Memory, pooled);
        }
    }

    /// <summary>The link to <paramref name="peer"/> broke or the peer aborted: its pending receives fail.</summary>
    internal void FailPeer(int peer, string reason, Exception? cause = null)
    {
        if (_peers.TryGetValue(peer, out var state))
            state.Inbox.Fail(reason, cause);
    }

    /// <summary>Ends the session after a failure: peers are told (so they stop waiting) and local receives fail.</summary>
    public void Abort(string reason)
    {
        Volatile.Write(ref _aborted, 1);
        foreach (var peer in _peers.Keys)
        {
            FailPeer(peer, "session aborted locally: " + reason);
            try
            {
                _route(peer)?.Enqueue(new LinkMessage { Abort = new SessionAbort { SessionId = SessionId, Reason = reason } });
            }
            catch (TransportException)
            {
                // A peer whose link is already down learns of the failure from that.
            }
        }
    }

    /// <summary>Set when this endpoint's part of the job starts: from then on, closing the session tells every peer
    /// that no more bytes will come (a session closed before it ran tells no one, as no peer expects anything).</summary>
    internal bool AnnouncesEnd { get; set; }

    private int _aborted;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var peer in _peers.Keys)
        {
            FailPeer(peer, "session closed");
            if (!AnnouncesEnd || Volatile.Read(ref _aborted) != 0)
                continue;
            try
            {
                // Queued after every data frame of the session on the same link, so it arrives after them.
                _route(peer)?.Enqueue(new LinkMessage { Abort = new SessionAbort { SessionId = SessionId, Finished = true } });
            }
            catch (TransportException)
            {
                // A peer whose link is down learns nothing more from this session either way.
            }
        }
        _onDispose?.Invoke(this);
    }

    private PeerState PeerFor(int endpoint, string verb)
    {
        if (_disposed != 0)
            throw new ObjectDisposedException(nameof(GrpcTransport), $"session '{SessionId}' is closed");
        if (_peers.TryGetValue(endpoint, out var peer))
            return peer;
        throw new ArgumentOutOfRangeException(nameof(endpoint),
            $"session '{SessionId}': {Endpoints.Name(PartyId)} cannot {verb} {Endpoints.Name(endpoint)}; " +
            $"session endpoints are {string.Join(", ", _peers.Keys.Append(PartyId).Order())}");
    }

    private sealed class PeerState(ByteStreamInbox inbox)
    {
        public ByteStreamInbox Inbox { get; } = inbox;
        public object SendGate { get; } = new();
        public object ReceiveGate { get; } = new();
        public ulong NextOutgoing { get; set; }
        public ulong NextIncoming { get; set; }
    }
}
