using PrivateInference.Kernels.Backends;
using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Launch;

/// <summary>What <see cref="LocalCluster"/> starts.</summary>
public sealed record LocalClusterOptions
{
    /// <summary><c>3pc</c> (P0, P1, P2 compute) or <c>2pc</c> (P0, P1 compute, P2 is the dealer): three processes either way.</summary>
    public string Scheme { get; init; } = "3pc";

    public NetworkProfile Network { get; init; } = NetworkProfile.None;

    /// <summary>Passed to every party as its receive timeout.</summary>
    public TimeSpan ReceiveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the cluster file is written; a fresh temporary directory when null.</summary>
    public string? ClusterFile { get; init; }

    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Receives every line the parties print (stdout and stderr), with the party id.</summary>
    public Action<int, string>? OnOutput { get; init; }

    /// <summary>Passed to every party as <c>--device</c>.</summary>
    public RingDevice Device { get; init; } = RingDevice.Cpu;

    /// <summary>
    /// Plaintext h2c without authentication (`--insecure`). By default the cluster runs mutual TLS with keys generated
    /// afresh for this launch beside the cluster file (in the temporary directory unless <see cref="ClusterFile"/> says
    /// otherwise), pinned in the cluster file.
    /// </summary>
    public bool Insecure { get; init; }

    /// <summary>Parties log sessions and links (ids and sizes only) at information level.</summary>
    public bool Verbose { get; init; }

    /// <summary>Maps `--parties 3|2` to a scheme.</summary>
    public static string SchemeForPartyCount(int parties) => parties switch
    {
        3 => "3pc",
        2 => "2pc",
        _ => throw new ArgumentException($"a local cluster has 3 parties (3pc) or 2 and a dealer (2pc), not {parties}"),
    };
}
