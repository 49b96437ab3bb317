namespace PrivateInference.Parties.Transport;

/// <summary>Tunables of the gRPC transport.</summary>
public sealed record TransportOptions
{
    /// <summary>How long a receive may wait without a single new byte before the peer counts as dead.</summary>
    public TimeSpan ReceiveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest payload per frame. 1 MiB keeps every gRPC message well under the 4 MB default limit (raised to
    /// <see cref="MaxMessageBytes"/> on both ends anyway) while amortising per-message cost.
    /// </summary>
    public int MaxChunkBytes { get; init; } = 1 << 20;

    /// <summary>gRPC message size limit configured on servers and channels.</summary>
    public const int MaxMessageBytes = 8 << 20;

    public static TransportOptions Default { get; } = new();
}
