using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Hosting;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Tests.Security;

/// <summary>
/// Three parties of a TLS cluster as Kestrel hosts inside the test process (real sockets and TLS on loopback, no
/// child processes): fast to start, and their log lines can be captured. Keys are generated into a temporary
/// directory beside the cluster file, as `pi keys` would.
/// </summary>
internal sealed class InProcessParties : IAsyncDisposable
{
    private CancellationTokenSource _stop = new();
    private readonly List<Task> _hosts = [];
    private readonly List<PartyHostOptions> _options = [];

    private InProcessParties(ClusterConfig cluster, string directory)
    {
        Cluster = cluster;
        Directory = directory;
    }

    public ClusterConfig Cluster { get; }

    public string Directory { get; }

    /// <summary>Log lines of each party, by id.</summary>
    public Dictionary<int, CapturedLogs> Logs { get; } = [];

    /// <param name="certificateFor">Overrides the certificate a party presents (an impostor), by party id.</param>
    /// <param name="expected">The session terms each party insists on.</param>
    /// <param name="only">Start only these parties (the others stay down).</param>
    public static async Task<InProcessParties> StartAsync(
        string scheme = "3pc", Func<int, X509Certificate2?>? certificateFor = null, SessionTerms? expected = null,
        TimeSpan? receiveTimeout = null, int[]? only = null, bool waitReady = true, bool withStores = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("pi-tls-test-").FullName;
        var ports = FreePorts.Pick(3);
        var addresses = new ClusterConfig($"test-{Guid.NewGuid().ToString("N")[..8]}", scheme,
            ports.Select((port, id) => new PartyAddress(id, "127.0.0.1", port)).ToArray()).Validated();
        var cluster = KeyFiles.Generate(addresses, directory, Path.Combine(directory, "cluster.json"), overwrite: false);
        var parties = new InProcessParties(cluster, directory);
        foreach (var id in only ?? [0, 1, 2])
        {
            var logs = new CapturedLogs();
            parties.Logs[id] = logs;
            var options = new PartyHostOptions
            {
                PartyId = id,
                Cluster = cluster,
                Certificate = certificateFor?.Invoke(id) ?? KeyFiles.Load(KeyFiles.KeyPath(directory, KeyFiles.PartyName(id))),
                Expected = expected ?? SessionTerms.Any,
                Transport = TransportOptions.Default with { ReceiveTimeout = receiveTimeout ?? TimeSpan.FromSeconds(20) },
                Verbose = true,
                Store = withStores ? new PrivateInference.Parties.Storage.ShareStore(Path.Combine(directory, $"shares-party{id}"), cluster, id) : null,
                ConfigureLogging = logging =>
                {
                    // The test output stays quiet; the captured lines are what tests look at.
                    logging.ClearProviders();
                    logging.AddProvider(logs);
                },
            };
            parties._options.Add(options);
        }
        parties.StartHosts();
        if (waitReady)
        {
            await using var client = parties.CreateClient();
            await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        }
        return parties;
    }

    private void StartHosts()
    {
        var stop = _stop.Token;
        foreach (var options in _options)
            _hosts.Add(Task.Run(() => PartyHost.RunAsync(options, stop)));
    }

    /// <summary>Stops every party and starts it again with the same cluster, keys and share folders: a restart.</summary>
    public async Task RestartAsync()
    {
        await StopHostsAsync();
        _stop = new CancellationTokenSource();
        StartHosts();
        await using var client = CreateClient();
        await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Party <paramref name="id"/>'s share folder (parties started with stores).</summary>
    public string StoreOf(int id) => _options.First(o => o.PartyId == id).Store!.Directory;

    private async Task StopHostsAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_hosts).WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (OperationCanceledException)
        {
            // A host interrupted during start-up ends this way; it is down either way.
        }
        _hosts.Clear();
    }

    public ClusterClient CreateClient(ClusterClientOptions? options = null) => new(Cluster, options);

    public X509Certificate2 Key(string name) => KeyFiles.Load(KeyFiles.KeyPath(Directory, name));

    public async ValueTask DisposeAsync()
    {
        await StopHostsAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
