using System.CommandLine;
using PrivateInference.Parties.Hosting;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Cli;

/// <summary>`pi party --id I --cluster cluster.json`: hosts one compute party until interrupted.</summary>
public static class PartyCommand
{
    public static Command Create()
    {
        var id = new Option<int>("--id") { Description = "This party's id in the cluster file (0, 1 or 2)", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "Cluster file (cluster.json)", Required = true };
        var receiveTimeout = new Option<double>("--receive-timeout")
        {
            Description = "Seconds a receive may wait without data before the peer counts as gone",
            DefaultValueFactory = _ => TransportOptions.Default.ReceiveTimeout.TotalSeconds,
        };
        var exitWithStdin = new Option<bool>("--exit-with-stdin")
        {
            Description = "Exit when standard input closes (used by launchers so parties never outlive them)",
            Hidden = true,
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
                    throw new ArgumentException($"--receive-timeout must be > 0 seconds, not {timeout}");
                options = new PartyHostOptions
                {
                    PartyId = partyId,
                    Cluster = config,
                    Network = network.Parse(result),
                    Transport = TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromSeconds(timeout) },
                    ExitWhenStdinCloses = result.GetValue(exitWithStdin),
                    Verbose = result.GetValue(verbose),
                };
            }
            catch (Exception e) when (e is ClusterConfigException or ArgumentException)
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
}
