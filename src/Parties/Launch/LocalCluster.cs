using System.Globalization;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Security;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Launch;

/// <summary>
/// Party processes on this machine's loopback: picks free ports, writes the cluster file, starts one `pi party`
/// per party, and waits until all are linked to each other. Disposal stops them; they also stop by themselves
/// if the process holding this object dies. Used by `pi launch`, `pi generate --mode private` and tests.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<PartyProcess> _processes;
    private readonly string? _temporaryDirectory;
    private int _disposed;

    private LocalCluster(ClusterConfig cluster, string clusterFile, string? temporaryDirectory, IReadOnlyList<PartyProcess> processes, LocalClusterOptions options)
    {
        Cluster = cluster;
        ClusterFile = clusterFile;
        Options = options;
        _temporaryDirectory = temporaryDirectory;
        _processes = processes;
    }

    public ClusterConfig Cluster { get; }

    public string ClusterFile { get; }

    public LocalClusterOptions Options { get; }

    public IReadOnlyList<int> ProcessIds => _processes.Select(p => p.ProcessId).ToArray();

    /// <summary>Completes with a description when any party process exits while the cluster is meant to run.</summary>
    public Task<string> AnyExited => Task.WhenAny(_processes.Select(p => p.Exited))
        .ContinueWith(_ => DescribeExits(), TaskScheduler.Default);

    public static async Task<LocalCluster> StartAsync(LocalClusterOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new LocalClusterOptions();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, cancellation).ConfigureAwait(false);
            }
            catch (LocalClusterException e) when (e.PortTaken && attempt < StartAttempts)
            {
                // A port picked as free was taken before the party bound it: pick again.
            }
        }
    }

    /// <summary>A client of this cluster with the cluster's network emulation on its own sends.</summary>
    public ClusterClient CreateClient(ClusterClientOptions? options = null) =>
        new(Cluster, options ?? DefaultClientOptions(Options));

    /// <summary>How a client of these parties connects: with this cluster's emulation, and plaintext only if launched so.</summary>
    public static ClusterClientOptions DefaultClientOptions(LocalClusterOptions options) =>
        new() { Network = options.Network, AllowInsecure = options.Insecure };

    /// <summary>"mutual TLS ..." or "INSECURE ...": what run reports print about the links.</summary>
    public string SecurityDescription => Describe(Cluster);

    public static string Describe(ClusterConfig cluster) => cluster.Secure
        ? "mutual TLS with pinned certificates"
        : "INSECURE: plaintext h2c without authentication (--insecure)";

    private static async Task<LocalCluster> StartOnceAsync(LocalClusterOptions options, CancellationToken cancellation)
    {
        const int partyCount = 3;
        var ports = FreePorts.Pick(partyCount);
        var cluster = new ClusterConfig(
            $"local-{options.Scheme}-{Guid.NewGuid().ToString("N")[..8]}",
            options.Scheme,
            ports.Select((port, id) => new PartyAddress(id, "127.0.0.1", port)).ToArray()).Validated();
        string? temporaryDirectory = null;
        var clusterFile = options.ClusterFile;
        if (clusterFile is null)
        {
            temporaryDirectory = Directory.CreateTempSubdirectory("pi-cluster-").FullName;
            clusterFile = Path.Combine(temporaryDirectory, "cluster.json");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(clusterFile))!;
        if (options.Insecure)
        {
            cluster.Save(clusterFile);
            cluster = cluster with { Directory = directory };
        }
        else
        {
            // Fresh keys per launch: nothing to manage on one machine, and a leftover key is worthless afterwards.
            cluster = KeyFiles.Generate(cluster, directory, clusterFile, overwrite: true);
        }

        var processes = cluster.Parties.Select(p => PartyProcess.Start(p.Id, PartyArguments(p.Id, clusterFile, options), options.OnOutput)).ToArray();
        var started = new LocalCluster(cluster, Path.GetFullPath(clusterFile), temporaryDirectory, processes, options);
        try
        {
            await using var client = new ClusterClient(cluster, DefaultClientOptions(options));
            var ready = client.WaitUntilReadyAsync(options.ReadyTimeout, cancellation);
            var exited = Task.WhenAny(processes.Select(p => p.Exited));
            if (await Task.WhenAny(ready, exited).ConfigureAwait(false) == exited)
            {
                // Give the other parties' output a moment to arrive so the message names the real cause.
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                var description = started.DescribeExits();
                throw new LocalClusterException($"a party exited during startup: {description}",
                    portTaken: description.Contains("already in use", StringComparison.Ordinal));
            }
            await ready.ConfigureAwait(false);
            return started;
        }
        catch (TimeoutException e)
        {
            await started.DisposeAsync().ConfigureAwait(false);
            throw new LocalClusterException(e.Message, portTaken: false);
        }
        catch
        {
            await started.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static IEnumerable<string> PartyArguments(int partyId, string clusterFile, LocalClusterOptions options)
    {
        var arguments = new List<string>
        {
            "party", "--id", partyId.ToString(CultureInfo.InvariantCulture), "--cluster", clusterFile,
            "--receive-timeout", options.ReceiveTimeout.TotalSeconds.ToString("R", CultureInfo.InvariantCulture),
            "--exit-with-stdin",
        };
        arguments.AddRange(options.Insecure
            ? ["--insecure"]
            : ["--key", KeyFiles.KeyPath(Path.GetDirectoryName(Path.GetFullPath(clusterFile))!, KeyFiles.PartyName(partyId))]);
        var network = options.Network;
        if (network == NetworkProfile.Lan || network == NetworkProfile.Wan)
        {
            arguments.AddRange(["--net", network.Name]);
        }
        else if (!network.IsIdeal)
        {
            arguments.AddRange(["--delay-ms", network.OneWayDelayMs.ToString("R", CultureInfo.InvariantCulture)]);
            if (!double.IsPositiveInfinity(network.BandwidthMbitPerSecond))
                arguments.AddRange(["--bandwidth", network.BandwidthMbitPerSecond.ToString("R", CultureInfo.InvariantCulture)]);
        }
        if (options.Device != Kernels.Backends.RingDevice.Cpu)
            arguments.AddRange(["--device", Kernels.Backends.RingDeviceNames.Name(options.Device)]);
        if (options.Verbose)
            arguments.Add("--verbose");
        return arguments;
    }

    /// <summary>Why party processes have ended, when any has: a failed run reports the cause (a party killed for memory
    /// shows up to the others only as a broken link). Waits up to <paramref name="grace"/> for an exit to be noticed;
    /// null when every party is still running.</summary>
    public async Task<string?> ExitedPartiesAsync(TimeSpan grace)
    {
        await Task.WhenAny(Task.WhenAny(_processes.Select(p => p.Exited)), Task.Delay(grace)).ConfigureAwait(false);
        return _processes.Any(p => p.Exited.IsCompleted) ? DescribeExits() : null;
    }

    private string DescribeExits() => string.Join("; ", _processes.Where(p => p.Exited.IsCompleted).Select(p =>
    {
        var lastLine = p.RecentOutput.Split(Environment.NewLine).LastOrDefault(l => l.Length > 0) ?? "no output";
        return $"party {p.PartyId} {DescribeExitCode(p.Exited.Result)}: {lastLine}";
    }));

    /// <summary>On Unix a process ended by signal N reports 128 + N.</summary>
    internal static string DescribeExitCode(int code) => code switch
    {
        137 => "was killed (signal 9, SIGKILL: the kernel's out-of-memory killer, if memory ran out)",
        > 128 and < 160 => $"was killed by signal {code - 128}",
        _ => $"exited with code {code}",
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await Task.WhenAll(_processes.Select(p => p.StopAsync(StopGrace))).ConfigureAwait(false);
        foreach (var process in _processes)
            process.Dispose();
        if (_temporaryDirectory is not null)
        {
            try
            {
                Directory.Delete(_temporaryDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary directory is harmless.
            }
        }
    }
}

/// <summary>The local cluster could not be started; the message is meant for the user.</summary>
public sealed class LocalClusterException(string message, bool portTaken) : Exception(message)
{
    public bool PortTaken { get; } = portTaken;
}
