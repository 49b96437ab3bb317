using PrivateInference.Engine.Benchmarks;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Engine;
using PrivateInference.Kernels.Backends;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;

namespace PrivateInference.Parties.Private;

/// <summary>How a private run is carried out: scheme, transport, an existing cluster or local parties, network.</summary>
public sealed record PrivateRunSettingsCli(SchemeKind Scheme, string Transport, string? ClusterFile, NetworkProfile Network, int FracBits,
    RingDevice Device = RingDevice.Cpu)
{
    /// <summary>Plaintext h2c without authentication (`--insecure`); reported with every run.</summary>
    public bool Insecure { get; init; }

    /// <summary>How long any endpoint waits for a silent peer before the run fails (`--timeout`).</summary>
    public TimeSpan Timeout { get; init; } = PrivateInference.Parties.Transport.TransportOptions.Default.ReceiveTimeout;

    public string SchemeName => Scheme == SchemeKind.ThreePc ? "3pc" : "2pc";
    public int Parties => Scheme == SchemeKind.ThreePc ? 3 : 2;
}

/// <summary>
/// Runs private jobs with every participant where the settings say: threads of this process, or party processes
/// (local ones started once for this runner, or a running cluster), this process then playing the client and the
/// model owner. Dispose stops the local parties.
/// </summary>
public sealed class PrivateRunner : IAsyncDisposable
{
    private readonly PrivateRunSettingsCli _settings;
    private LocalCluster? _local;
    private ClusterClient? _client;
    private string? _devices;

    private PrivateRunner(PrivateRunSettingsCli settings)
    {
        _settings = settings;
    }

    public static async Task<PrivateRunner> StartAsync(PrivateRunSettingsCli settings, CancellationToken cancellation)
    {
        var runner = new PrivateRunner(settings);
        if (settings.Transport == "inproc")
        {
            // The parties are threads of this process: they share its backend.
            IRingBackend backend;
            try { backend = RingBackends.Select(settings.Device); }
            catch (RingDeviceUnavailableException e) { throw new InputException(e.Message); }
            runner.ReportDevices(string.Join("; ", PartyIds.ComputeParties.Select(p => $"P{p} {backend.Description}")) + " (in-process)");
            return runner;
        }
        try
        {
            ClusterConfig cluster;
            if (settings.ClusterFile is { } file)
            {
                if (settings.Device != RingDevice.Cpu)
                    Console.Error.WriteLine("pi: --device applies to parties this run starts; a running cluster's parties keep theirs (pi launch --device)");
                try { cluster = ClusterConfig.Load(file); }
                catch (ClusterConfigException e) { throw new InputException(e.Message, e); }
            }
            else
            {
                Console.Error.WriteLine($"pi: starting {settings.SchemeName} parties on loopback...");
                try
                {
                    runner._local = await LocalCluster.StartAsync(new LocalClusterOptions
                    {
                        Scheme = settings.SchemeName, Network = settings.Network, Device = settings.Device,
                        Insecure = settings.Insecure, ReceiveTimeout = settings.Timeout,
                    }, cancellation);
                }
                catch (LocalClusterException e) { throw new InputException($"could not start the local parties: {e.Message}"); }
                cluster = runner._local.Cluster;
            }
            try
            {
                runner._client = new ClusterClient(cluster, new ClusterClientOptions
                {
                    Network = settings.Network,
                    AllowInsecure = settings.Insecure,
                    Transport = PrivateInference.Parties.Transport.TransportOptions.Default with { ReceiveTimeout = settings.Timeout },
                });
            }
            catch (ClusterConfigException e) { throw new InputException(e.Message, e); }
            try { await runner._client.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), cancellation); }
            catch (TimeoutException e) { throw new InputException(e.Message); }
            return runner;
        }
        catch
        {
            await runner.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the links of this run are: mutual TLS, or plaintext under --insecure.</summary>
    public string Security => _client is null ? "in-process (no network)" : LocalCluster.Describe(_client.Cluster);

    public async Task<PrivateRunResult[]> GenerateAsync(LlamaWeights weights, ClientInputs client, int maxTokens, CancellationToken cancellation,
        Engine.CachePolicies.CachePolicyOptions? cache = null)
    {
        var folded = FoldedWeights.Fold(weights);
        var args = PrivateJobArguments.For(folded, _settings.Scheme, _settings.FracBits);
        args[SessionTerms.CachePolicyArgument] = cache?.Spec ?? SessionTerms.FullCache;
        args["prompt_length"] = client.Prompt.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        args["max_tokens"] = maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clientPart = PrivateGenerateJob.ForClient(client);
        var ownerPart = PrivateGenerateJob.ForOwner(folded);
        var outcome = await RunAsync(new PrivateGenerateJob(), args, clientPart, ownerPart, cancellation);
        return [.. outcome.Parties.Select(p => PrivateRunStatsRecords.FromRecord(p.PartyId, p.PrivateRun)), clientPart.Result!, ownerPart.Result!];
    }

    /// <summary>A generation served from the weight shares the parties keep at rest: this process is the client only and
    /// knows the model by its public shape.</summary>
    public async Task<PrivateRunResult[]> GenerateFromStoreAsync(LlamaConfig config, NonlinearDomains domains, ClientInputs client, int maxTokens, CancellationToken cancellation,
        Engine.CachePolicies.CachePolicyOptions? cache = null)
    {
        if (_client is null)
            throw new InputException("a run from stored shares needs a running cluster whose parties hold them");
        var args = PrivateJobArguments.For(config, domains, _settings.Scheme, _settings.FracBits);
        args[SessionTerms.CachePolicyArgument] = cache?.Spec ?? SessionTerms.FullCache;
        args[PrivateJobArguments.WeightsArgument] = PrivateJobArguments.StoredWeights;
        args["prompt_length"] = client.Prompt.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        args["max_tokens"] = maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clientPart = PrivateGenerateJob.ForClient(client);
        var outcome = await RunAsync(new PrivateGenerateJob(), args, clientPart, null, cancellation);
        return [.. outcome.Parties.Select(p => PrivateRunStatsRecords.FromRecord(p.PartyId, p.PrivateRun)), clientPart.Result!];
    }

    public async Task<PerplexityResult> PerplexityAsync(LlamaWeights weights, IReadOnlyList<IReadOnlyList<int>> chunks,
        Action<int, PerplexityResult>? progress, CancellationToken cancellation)
    {
        var folded = FoldedWeights.Fold(weights);
        var args = PrivateJobArguments.For(folded, _settings.Scheme, _settings.FracBits);
        args["chunk_lengths"] = PrivatePerplexityJob.ChunkLengths(chunks);
        var clientPart = PrivatePerplexityJob.ForClient(chunks, progress);
        await RunAsync(new PrivatePerplexityJob(), args, clientPart, PrivatePerplexityJob.ForOwner(folded), cancellation);
        return clientPart.Result!;
    }

    public async Task<PrivateRunResult[]> BenchmarkAsync(LlamaWeights weights, FoldedWeights folded, PrivateBenchPoint point, CancellationToken cancellation)
    {
        var args = PrivateJobArguments.For(folded, _settings.Scheme, _settings.FracBits);
        foreach (var (k, v) in PrivateBenchJob.Arguments(point)) args[k] = v;
        var clientPart = PrivateBenchJob.ForClient();
        var ownerPart = PrivateBenchJob.ForOwner(folded);
        var outcome = await RunAsync(new PrivateBenchJob(), args, clientPart, ownerPart, cancellation);
        return [.. outcome.Parties.Select(p => PrivateRunStatsRecords.FromRecord(p.PartyId, p.PrivateRun)), clientPart.Result!, ownerPart.Result!];
    }

    /// <summary>
    /// The one route of every private job: the same job, arguments and client/owner parts go to the party processes,
    /// or (in process) through <see cref="InProcessJobRunner"/>, which makes the parties' open-time checks
    /// (<see cref="SessionOpening"/>: session terms, argument bounds) before any part runs, so both transports refuse
    /// the same requests with the same messages.
    /// </summary>
    private Task<JobOutcome> RunAsync(IPartyJob job, JobArguments args, IPartyJob clientPart, IPartyJob? ownerPart,
        CancellationToken cancellation) =>
        _client is null
            ? RunInProcessAsync(job, args, clientPart, ownerPart)
            : RunJobAsync(job.Name, args, clientPart, ownerPart, cancellation);

    private async Task<JobOutcome> RunJobAsync(string job, JobArguments args, IPartyJob clientPart, IPartyJob? ownerPart,
        CancellationToken cancellation)
    {
        try
        {
            var outcome = await _client!.RunJobAsync(job, args, clientPart, ownerPart, cancellation);
            outcome.EnsureSuccess();
            ReportDevices(string.Join("; ", outcome.Parties.OrderBy(p => p.PartyId)
                .Select(p => $"P{p.PartyId} {p.Values.GetValueOrDefault(JobDevice.ResultKey, "(not reported)")}")));
            return outcome;
        }
        catch (JobFailedException e)
        {
            if (_local is not null && await _local.ExitedPartiesAsync(TimeSpan.FromSeconds(1)) is { } exits)
                throw new InputException($"the private run failed: {exits} (then: {e.Message})");
            throw new InputException($"the private run failed: {e.Message}");
        }
    }

    private async Task<JobOutcome> RunInProcessAsync(IPartyJob job, JobArguments args, IPartyJob clientPart, IPartyJob? ownerPart)
    {
        try
        {
            return (await InProcessJobRunner.RunAsync(job, args, _settings.SchemeName, clientPart, ownerPart,
                network: _settings.Network,
                options: PrivateInference.Parties.Transport.TransportOptions.Default with { ReceiveTimeout = _settings.Timeout })).EnsureSuccess();
        }
        catch (JobFailedException e)
        {
            throw new InputException($"the private run failed: {e.Message}");
        }
    }

    /// <summary>Which device each compute party used ("P0 cuda (...); P1 ..."), once known; null before the first job.</summary>
    public string? Devices => _devices;

    /// <summary>Prints the parties' devices the first time they are known, or when they change.</summary>
    private void ReportDevices(string devices)
    {
        if (devices == _devices) return;
        _devices = devices;
        Console.Error.WriteLine($"pi: devices: {devices}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null) await _client.DisposeAsync();
        if (_local is not null) await _local.DisposeAsync();
    }
}
