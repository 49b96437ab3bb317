namespace PrivateInference.Protocols.Communication;

/// <summary>
/// The raw byte pipe between one party and its peers inside one session. Each ordered pair of parties is a
/// FIFO byte stream: <see cref="Receive"/> blocks until exactly <c>destination.Length</c> bytes from that peer
/// have arrived, so message framing is the caller's business and chunking is the transport's.
/// Implementations: the in-process transport (parties as threads, for tests) and the gRPC transport (Parties).
/// Accounting of bytes and rounds lives above this, in the channel, so every transport is counted the same way.
/// </summary>
public interface ITransport : IDisposable
{
    /// <summary>This endpoint's party id (0, 1, 2; the client and model owner have their own ids).</summary>
    int PartyId { get; }

    /// <summary>Queues <paramref name="payload"/> for <paramref name="toParty"/>; the span may be reused on return.</summary>
    void Send(int toParty, ReadOnlySpan<byte> payload);

    /// <summary>Blocks until <paramref name="destination"/> is filled with the next bytes from <paramref name="fromParty"/>.
    /// Throws <see cref="TransportException"/> when the peer is gone or the configured timeout passes.</summary>
    void Receive(int fromParty, Span<byte> destination);
}

/// <summary>A peer died, stopped answering, or sent something that is not a valid frame.</summary>
public sealed class TransportException(string message, Exception? inner = null) : Exception(message, inner);
