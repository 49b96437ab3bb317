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

    /// <summary>Information logging (session ids, sizes, timings) on stderr; warnings are always logged.</summary>
    public bool Verbose { get; init; }
}
