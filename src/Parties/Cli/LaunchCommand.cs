using System.CommandLine;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Launch;

namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi launch --parties 3|2`: starts the local party processes, prints the cluster file path on stdout once all
/// are linked, and keeps them running until Ctrl+C (or until one of them dies).
/// </summary>
public static class LaunchCommand
{
    public static Command Create()
    {
        var parties = new Option<int>("--parties")
        {
            Description = "3: three compute parties (3pc); 2: two compute parties and a dealer (2pc, three processes)",
            DefaultValueFactory = _ => 3,
        };
        parties.AcceptOnlyFromAmong("3", "2");
        var clusterFile = new Option<string?>("--cluster-file")
        {
            Description = "Where to write the cluster file (default: a new temporary directory)",
        };
        var verbose = new Option<bool>("--verbose") { Description = "Let the parties log links and sessions (ids and sizes only)" };
        var receiveTimeout = new Option<double>("--timeout", "--receive-timeout")
        {
            Description = "Seconds a party's receive may wait without data before the peer counts as gone",
            DefaultValueFactory = _ => Transport.TransportOptions.Default.ReceiveTimeout.TotalSeconds,
        };
        var insecure = new Option<bool>("--insecure")
        {
            Description = "Plaintext h2c without authentication; default: mutual TLS with fresh keys beside the cluster file",
        };
        var network = new NetworkOptions();
        var device = new DeviceOption();

        var command = new Command("launch", "Start local party processes on free loopback ports and keep them running");
        command.Options.Add(parties);
        network.AddTo(command);
        device.AddTo(command);
        command.Options.Add(clusterFile);
        command.Options.Add(receiveTimeout);
        command.Options.Add(insecure);
        command.Options.Add(verbose);
        command.SetAction(async (result, invocationCancellation) =>
        {
            using var signals = new ShutdownSignals(invocationCancellation);
            var cancellation = signals.Token;
            LocalClusterOptions options;
            try
            {
                var timeout = result.GetValue(receiveTimeout);
                if (!(timeout > 0))
                    throw new ArgumentException($"--timeout must be > 0 seconds, not {timeout}");
                options = new LocalClusterOptions
                {
                    ReceiveTimeout = TimeSpan.FromSeconds(timeout),
                    Scheme = LocalClusterOptions.SchemeForPartyCount(result.GetValue(parties)),
                    Network = network.Parse(result),
                    Device = device.Parse(result),
                    ClusterFile = result.GetValue(clusterFile),
                    Verbose = result.GetValue(verbose),
                    Insecure = result.GetValue(insecure),
                    OnOutput = (id, line) => Console.Error.WriteLine($"[P{id}] {line}"),
                };
            }
            catch (ArgumentException e)
            {
                return CliErrors.Report("launch", e.Message, CliErrors.BadInput);
            }
            LocalCluster cluster;
            try
            {
                cluster = await LocalCluster.StartAsync(options, cancellation);
            }
            catch (Exception e) when (e is LocalClusterException or ClusterConfigException or IOException or UnauthorizedAccessException)
            {
                return CliErrors.Report("launch", e.Message, CliErrors.Failed);
            }
            catch (OperationCanceledException)
            {
                return CliErrors.Report("launch", "interrupted during startup", CliErrors.Failed);
            }
            await using (cluster)
            {
                Console.Error.WriteLine(
                    $"pi launch: {cluster.Cluster.Parties.Count} parties ({cluster.Cluster.Scheme}) ready, links: {cluster.SecurityDescription}, " +
                    $"network: {options.Network.Description}; Ctrl+C stops them");
                Console.WriteLine(cluster.ClusterFile);
                var interrupted = Task.Delay(Timeout.Infinite, cancellation);
                var exited = cluster.AnyExited;
                // Ctrl+C in a terminal reaches the parties too, so a party exiting while we are being
                // interrupted is the normal way down, not a failure.
                if (await Task.WhenAny(interrupted, exited) == exited && !cancellation.IsCancellationRequested)
                    return CliErrors.Report("launch", await exited, CliErrors.Failed);
                Console.Error.WriteLine("pi launch: stopping the parties");
                return 0;
            }
        });
        return command;
    }
}
