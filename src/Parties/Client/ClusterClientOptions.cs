using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Client;

/// <summary>How a client (or model owner) joins a cluster.</summary>
public sealed record ClusterClientOptions
{
    /// <summary><see cref="Endpoints.Client"/> or <see cref="Endpoints.ModelOwner"/>.</summary>
    public int EndpointId { get; init; } = Endpoints.Client;

    /// <summary>Emulation applied to what this endpoint sends (parties apply their own).</summary>
    public NetworkProfile Network { get; init; } = NetworkProfile.None;

    public TransportOptions Transport { get; init; } = TransportOptions.Default;

    public ILogger Logger { get; init; } = NullLogger.Instance;
}
