using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;
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

    /// <summary>The client's certificate with its key (TLS clusters); default: <c>client.key</c>/<c>client.crt</c> beside the cluster file.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The model owner's certificate with its key, used when this process plays the owner; default:
    /// <c>owner.key</c>/<c>owner.crt</c> beside the cluster file.</summary>
    public X509Certificate2? OwnerCertificate { get; init; }

    /// <summary>This process plays the model owner only (`pi owner share`): it presents the owner's certificate on every
    /// call and link, and needs no client key; it cannot run a client part.</summary>
    public bool OwnerOnly { get; init; }

    /// <summary>Allows a cluster file without pinned certificates (plaintext h2c, no authentication): `--insecure`.</summary>
    public bool AllowInsecure { get; init; }
}
