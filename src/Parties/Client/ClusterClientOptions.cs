using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Client;

/// <summary>How a client (and, in the same process, the model owner) joins a cluster.</summary>
public sealed record ClusterClientOptions
{
    /// <summary>Emulation applied to what the client and owner send (parties apply their own).</summary>
    public NetworkProfile Network { get; init; } = NetworkProfile.None;

    public TransportOptions Transport { get; init; } = TransportOptions.Default;

    public ILogger Logger { get; init; } = NullLogger.Instance;
}
