using System.Security.Cryptography.X509Certificates;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Hosting;

/// <summary>How one `pi party` process runs.</summary>
public sealed record PartyHostOptions
{
    public required int PartyId { get; init; }

    public required ClusterConfig Cluster { get; init; }

    public NetworkProfile Network { get; init; } = NetworkProfile.None;

    public TransportOptions Transport { get; init; } = TransportOptions.Default;

    /// <summary>Exit when standard input closes: how a launcher makes sure its children do not outlive it,
    /// even when the launcher is killed outright.</summary>
    public bool ExitWhenStdinCloses { get; init; }

    /// <summary>This party's certificate with its private key; required when the cluster pins certificates.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>What this party insists on for every session (model hash, fixed-point bits, cache policy); null fields
    /// accept what the client proposes.</summary>
    public SessionTerms Expected { get; init; } = SessionTerms.Any;

    /// <summary>Where this party keeps weight shares at rest (`--store`); null: it keeps none and serves only sessions
    /// in which the model owner shares the weights.</summary>
    public Storage.ShareStore? Store { get; init; }

    /// <summary>Information logging (session ids, sizes, timings) on stderr; warnings are always logged.</summary>
    public bool Verbose { get; init; }

    /// <summary>Extra logging set-up (tests capture a party's log lines in-process with it).</summary>
    public Action<Microsoft.Extensions.Logging.ILoggingBuilder>? ConfigureLogging { get; init; }
}
