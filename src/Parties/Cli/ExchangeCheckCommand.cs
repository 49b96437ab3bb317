using System.CommandLine;
using System.Globalization;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;

namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi exchange-check`: runs the transport check job against a cluster file, or against a local cluster it
/// starts itself, and prints per-endpoint round latency and bulk throughput.
/// </summary>
public static class ExchangeCheckCommand
{
    public static Command Create()
    {
        var cluster = new Option<string?>("--cluster") { Description = "Cluster file of running parties (default: start a local cluster)" };
        var parties = new Option<int>("--parties")
        {
            Description = "Local cluster to start when no --cluster is given: 3 (3pc) or 2 (2pc with a dealer)",
            DefaultValueFactory = _ => 3,
        };
        parties.AcceptOnlyFromAmong("3", "2");
        var bytes = new Option<long>("--bytes") { Description = "Payload sent to every peer", DefaultValueFactory = _ => 16L << 20 };
        var pingRounds = new Option<long>("--ping-rounds") { Description = "All-to-all rounds of 8 bytes", DefaultValueFactory = _ => 50 };
        var bulkRounds = new Option<long>("--bulk-rounds")
        {
            Description = "Bulk transfers in a row; the first (cold: JIT, fresh buffers) is printed apart from the median of the rest (warm)",
            DefaultValueFactory = _ => 4,
        };
        var withClient = new Option<bool>("--with-client") { Description = "The client joins the exchange as endpoint 3" };
        var withOwner = new Option<bool>("--with-owner") { Description = "A model owner joins the exchange as endpoint 4" };
        var insecure = new Option<bool>("--insecure") { Description = "Plaintext h2c without authentication; default: mutual TLS" };
        var network = new NetworkOptions();

        var command = new Command("exchange-check", "Check and measure the party links: round latency and verified bulk transfer");
        command.Options.Add(cluster);
        command.Options.Add(parties);
        network.AddTo(command);
        command.Options.Add(bytes);
        command.Options.Add(pingRounds);
        command.Options.Add(bulkRounds);
        command.Options.Add(withClient);
        command.Options.Add(withOwner);
        command.Options.Add(insecure);
        command.SetAction(async (result, cancellation) =>
        {
            try
            {
                var profile = network.Parse(result);
                var rounds = result.GetValue(bulkRounds);
                if (rounds is < 1 or > 1000)
                    throw new ArgumentException($"--bulk-rounds must be in 1..1000, not {rounds}");
                var arguments = new Dictionary<string, string>
                {
                    ["bytes"] = result.GetValue(bytes).ToString(CultureInfo.InvariantCulture),
                    ["ping-rounds"] = result.GetValue(pingRounds).ToString(CultureInfo.InvariantCulture),
                    ["bulk-rounds"] = result.GetValue(bulkRounds).ToString(CultureInfo.InvariantCulture),
                };
                LocalCluster? local = null;
                ClusterConfig config;
                if (result.GetValue(cluster) is { } file)
                {
                    config = ClusterConfig.Load(file);
                }
                else
                {
                    local = await LocalCluster.StartAsync(new LocalClusterOptions
                    {
                        Scheme = LocalClusterOptions.SchemeForPartyCount(result.GetValue(parties)),
                        Network = profile,
                        Insecure = result.GetValue(insecure),
                    }, cancellation);
                    config = local.Cluster;
                }
                await using (local)
                {
                    await using var client = new ClusterClient(config, new ClusterClientOptions { Network = profile, AllowInsecure = result.GetValue(insecure) });
                    await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(15), cancellation);
                    var outcome = await client.RunJobAsync(
                        ExchangeCheckJob.JobName, arguments,
                        clientPart: result.GetValue(withClient) ? new ExchangeCheckJob() : null,
                        ownerPart: result.GetValue(withOwner) ? new ExchangeCheckJob() : null,
                        cancellation: cancellation);
                    Print(outcome, config, profile.Description);
                    var roundTripMs = await MedianHealthRoundTripMs(client, cancellation);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"unary gRPC round trip client -> party 0 (health call), median of 200: {roundTripMs:0.000} ms"));
                    return outcome.Ok ? 0 : CliErrors.Report("exchange-check", outcome.EnsureSuccessMessage(), CliErrors.Failed);
                }
            }
            catch (Exception e) when (e is ClusterConfigException or ArgumentException or LocalClusterException
                                          or TimeoutException or JobFailedException)
            {
                return CliErrors.Report("exchange-check", CliErrors.WithFlags(e), e is ArgumentException or ClusterConfigException ? CliErrors.BadInput : CliErrors.Failed);
            }
        });
        return command;
    }

    private static async Task<double> MedianHealthRoundTripMs(ClusterClient client, CancellationToken cancellation)
    {
        var samples = new double[200];
        for (var i = 0; i < samples.Length; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            await client.PingAsync(0, cancellation);
            samples[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    private static string EnsureSuccessMessage(this JobOutcome outcome) =>
        string.Join("; ", outcome.All.Where(r => !r.Ok).Select(r => r.Error));

    private static void Print(JobOutcome outcome, ClusterConfig config, string network)
    {
        Console.WriteLine($"cluster '{config.ClusterId}' ({config.Scheme}), network: {network}, session {outcome.SessionId}");
        Console.WriteLine("MB/s: bytes each endpoint received from all its peers in one bulk round over that round's time (cold: the first round; warm: median of the others); " +
                          "CPU ns/B: the party process's CPU time over the warm rounds per byte it received");
        Console.WriteLine($"{"endpoint",-10} {"ok",-4} {"round median ms",16} {"round p90 ms",13} {"cold bulk ms",13} {"cold MB/s",10} " +
                          $"{"warm bulk ms",13} {"warm MB/s",10} {"warm CPU ns/B",14} {"job ms",9}");
        foreach (var r in outcome.All)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Endpoints.Name(r.PartyId),-10} {(r.Ok ? "yes" : "NO"),-4} {Value(r, "round_median_ms"),16} {Value(r, "round_p90_ms"),13} " +
                $"{Value(r, "bulk_ms"),13} {Value(r, "bulk_receive_mb_per_s"),10} " +
                $"{Value(r, "bulk_warm_ms"),13} {Value(r, "bulk_warm_receive_mb_per_s"),10} {Value(r, "bulk_warm_cpu_ns_per_byte"),14} {r.ElapsedMs,9:0.0}"));
        }

        static string Value(PartyJobResult r, string name) =>
            r.Values.TryGetValue(name, out var text) && double.TryParse(text, CultureInfo.InvariantCulture, out var v)
                ? v.ToString("0.000", CultureInfo.InvariantCulture)
                : "-";
    }
}
