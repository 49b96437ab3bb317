
namespace PrivateInference.Parties.Transport;

/// <summary>Tunables of the gRPC transport.</summary>
public sealed record TransportOptions
{
    /// <summary>How long a receive may wait while the peer sends neither a byte nor a heartbeat before the peer counts
    /// as dead. A peer that is merely busy keeps sending heartbeats (see <see cref="HeartbeatInterval"/>).</summary>
    public TimeSpan ReceiveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often each end of a link sends a heartbeat. Fixed, not derived from the local timeout, because the two ends
    /// of a link may run with different timeouts; every timeout should be several intervals long.
    /// </summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Largest payload per frame. 1 MiB keeps every gRPC message well under the 4 MB default limit (raised to
    /// <see cref="MaxMessageBytes"/> on both ends anyway) while amortising per-message cost.
    /// </summary>
    public int MaxChunkBytes { get; init; } = 1 << 20;

    /// <summary>gRPC message size limit configured on servers and channels.</summary>
    public const int MaxMessageBytes = 8 << 20;

    public static TransportOptions Default { get; } = new();
}
