using System.CommandLine;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Hosting;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Cli;

/// <summary>`pi party --id I --cluster cluster.json`: hosts one compute party until interrupted.</summary>
public static class PartyCommand
{
    public static Command Create()
    {
        var id = new Option<int>("--id") { Description = "This party's id in the cluster file (0, 1 or 2)", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "Cluster file (cluster.json)", Required = true };
        var receiveTimeout = new Option<double>("--timeout", "--receive-timeout")
        {
            Description = "Seconds a receive waits while the peer sends neither data nor heartbeats before it counts as gone (the session then fails)",
            DefaultValueFactory = _ => TransportOptions.Default.ReceiveTimeout.TotalSeconds,
        };
        var exitWithStdin = new Option<bool>("--exit-with-stdin")
        {
            Description = "Exit when standard input closes (used by launchers so parties never outlive them)",
            Hidden = true,
        };
        var key = new Option<string?>("--key")
        {
            Description = "This party's private key (PEM; its certificate is the .crt beside it). Default: party<ID>.key beside the cluster file",
        };
        var insecure = new Option<bool>("--insecure")
        {
            Description = "Accept a cluster file without certificates: plaintext h2c, no authentication (testing only)",
        };
        var modelHash = new Option<string?>("--model-hash") { Description = "Only accept sessions for this model (its SHA-256 as `pi model hash` prints it)" };
        var fracBits = new Option<int?>("--frac-bits") { Description = "Only accept sessions with this many fixed-point fractional bits" };
        var cachePolicy = new Option<string?>("--cache-policy") { Description = "Only accept sessions with this cache policy (full, mpcache, static, dynamic or topk, with :options)" };
        var store = new Option<string?>("--store")
        {
            Description = "Folder where this party keeps weight shares at rest (`pi owner share` fills it); default: shares-party<ID> beside the cluster file",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Log links and sessions (ids and sizes only) to stderr" };
        var network = new NetworkOptions();
        var device = new DeviceOption();

        var command = new Command("party", "Host one compute party (gRPC over HTTP/2) of a cluster");
        command.Options.Add(id);
        command.Options.Add(cluster);
        network.AddTo(command);
        device.AddTo(command);
        command.Options.Add(receiveTimeout);
        command.Options.Add(exitWithStdin);
        command.Options.Add(key);
        command.Options.Add(insecure);
        command.Options.Add(modelHash);
        command.Options.Add(fracBits);
        command.Options.Add(cachePolicy);
        command.Options.Add(store);
        command.Options.Add(verbose);
        command.SetAction(async (result, invocationCancellation) =>
        {
            using var signals = new ShutdownSignals(invocationCancellation);
            var cancellation = signals.Token;
            PartyHostOptions options;
            try
            {
                var config = ClusterConfig.Load(result.GetValue(cluster)!);
                var partyId = result.GetValue(id);
                config.Party(partyId);
                var timeout = result.GetValue(receiveTimeout);
                if (!(timeout > 0))
                    throw new ArgumentException($"--timeout must be > 0 seconds, not {timeout}");
                var networkProfile = network.Parse(result);
                var certificate = LoadKey(config, partyId, result.GetValue(key), result.GetValue(insecure));
                var hash = result.GetValue(modelHash);
                var expected = new SessionTerms(
                    hash is null ? null : CertificateFingerprint.Normalize(hash) ?? throw new ArgumentException($"--model-hash must be 64 hex digits, not '{hash}'"),
                    result.GetValue(fracBits) is { } bits && bits is < 8 or > 24 ? throw new ArgumentException($"--frac-bits must lie in 8..24, not {bits}") : result.GetValue(fracBits),
                    result.GetValue(cachePolicy) is { } policy && !SessionTerms.IsPrivatePolicy(policy)
                        ? throw new ArgumentException($"--cache-policy must be full, mpcache, static, dynamic or topk (with valid :options), not '{policy}'")
                        : result.GetValue(cachePolicy));
                options = new PartyHostOptions
                {
                    PartyId = partyId,
                    Cluster = config,
                    Network = networkProfile,
                    Certificate = certificate,
                    Expected = expected,
                    Transport = TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromSeconds(timeout) },
                    ExitWhenStdinCloses = result.GetValue(exitWithStdin),
                    Verbose = result.GetValue(verbose),
                    Store = new Storage.ShareStore(result.GetValue(store) ?? Path.Combine(config.Directory!, $"shares-party{partyId}"), config, partyId),
                };
            }
            catch (Exception e) when (e is ClusterConfigException or ArgumentException or Storage.ShareFileException)
            {
                return CliErrors.Report("party", e.Message, CliErrors.BadInput);
            }
            try
            {
                var backend = Kernels.Backends.RingBackends.Select(device.Parse(result));
                // Every job result names the device for the client's report; the console line is for --verbose only,
                // so that a failing start stays one clear line on stderr.
                if (options.Verbose) Console.Error.WriteLine($"pi party: P{options.PartyId} computes on {backend.Description}");
            }
            catch (Kernels.Backends.RingDeviceUnavailableException e)
            {
                return CliErrors.Report("party", e.Message, CliErrors.BadInput);
            }
            try
            {
                await PartyHost.RunAsync(options, cancellation);
                return 0;
            }
            catch (PartyStartupException e)
            {
                return CliErrors.Report("party", e.Message, CliErrors.Failed);
            }
        });
        return command;
    }

    /// <summary>
    /// A TLS cluster needs this party's key (and it must be the one pinned for this party); a cluster file without
    /// certificates runs only with an explicit --insecure, so plaintext is never an accident.
    /// </summary>
    private static System.Security.Cryptography.X509Certificates.X509Certificate2? LoadKey(ClusterConfig config, int partyId, string? keyPath, bool insecure)
    {
        if (!config.Secure)
        {
            return insecure
                ? null
                : throw new ClusterConfigException(
                    "the cluster file pins no certificates: create keys with `pi keys`, or pass --insecure to run plaintext h2c without authentication");
        }
        if (insecure)
            throw new ArgumentException("--insecure is for cluster files without certificates; this one pins certificates");
        var name = KeyFiles.PartyName(partyId);
        return KeyFiles.LoadPinned(keyPath ?? KeyFiles.KeyPath(config.Directory!, name), $"party {partyId}", config.Party(partyId).CertSha256);
    }
}
