using System.Diagnostics;
using System.Globalization;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Tests;

[Collection(PartyProcessesCollection.Name)]
public sealed class LocalClusterLifecycleTests
{
    [Fact]
    public async Task Two_parties_and_a_dealer_exchange_over_an_emulated_network_and_stop_on_disposal()
    {
        var network = NetworkProfile.Parse("none", delayMs: 5, bandwidthMbit: 400);
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Scheme = "2pc", Network = network });
        var processIds = cluster.ProcessIds;
        try
        {
            Assert.Equal("2pc", ClusterConfig.Load(cluster.ClusterFile).Scheme);
            await using var client = cluster.CreateClient();
            var health = await client.HealthAsync();
            Assert.All(health, h => Assert.Equal(network.Description, h.Network));

            var outcome = (await client.RunJobAsync(ExchangeCheckJob.JobName, new Dictionary<string, string>
            {
                ["bytes"] = "1000000",
                ["ping-rounds"] = "5",
            })).EnsureSuccess();

            // Every all-to-all round waits for one emulated one-way trip; 1 MB per peer takes 20 ms at 400 Mbit/s.
            Assert.All(outcome.Parties, r =>
            {
                Assert.True(double.Parse(r.Values["round_median_ms"], CultureInfo.InvariantCulture) >= 5, r.Values["round_median_ms"]);
                Assert.True(double.Parse(r.Values["bulk_ms"], CultureInfo.InvariantCulture) >= 25, r.Values["bulk_ms"]);
            });
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        Assert.All(processIds, AssertExited);
        Assert.False(File.Exists(cluster.ClusterFile), "the temporary cluster file is removed with the cluster");
    }

    [Fact]
    public async Task A_party_killed_by_sigkill_is_named_with_the_likely_cause()
    {
        await using var cluster = await LocalCluster.StartAsync();
        Assert.Null(await cluster.ExitedPartiesAsync(TimeSpan.Zero));
        using (var victim = Process.GetProcessById(cluster.ProcessIds[1]))
            victim.Kill();   // SIGKILL, as the out-of-memory killer sends
        var exits = await cluster.ExitedPartiesAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(exits);
        Assert.StartsWith("party 1 was killed (signal 9, SIGKILL: the kernel's out-of-memory killer", exits);
    }

    [Fact]
    public async Task Pi_launch_prints_the_cluster_file_and_its_parties_die_with_it_even_when_it_is_killed()
    {
        using var launcher = PiProcessRunner.Start("launch", "--parties", "3");
        var readLine = launcher.StandardOutput.ReadLineAsync();
        var drainErrors = launcher.StandardError.ReadToEndAsync();
        var clusterFile = await readLine.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(clusterFile);
        var cluster = ClusterConfig.Load(clusterFile);
        await using var client = new Client.ClusterClient(cluster);
        await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(10));

        launcher.Kill();
        await launcher.WaitForExitAsync();
        await drainErrors;

        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await client.HealthAsync();
            }
            catch (Grpc.Core.RpcException)
            {
                break;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "parties outlived their killed launcher");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Pi_launch_stops_its_parties_and_exits_0_on_sigterm()
    {
        using var launcher = PiProcessRunner.Start("launch", "--parties", "2");
        var stderr = launcher.StandardError.ReadToEndAsync();
        var clusterFile = await launcher.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var cluster = ClusterConfig.Load(clusterFile!);
        // Made while the launch's keys exist: they are removed with its temporary directory.
        await using var client = new Client.ClusterClient(cluster);

        Assert.Equal(0, SendSignal(launcher.Id, Sigterm));
        await launcher.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Equal(0, launcher.ExitCode);
        var errors = await stderr;
        Assert.Contains("pi launch: stopping the parties", errors);
        Assert.Contains("links: mutual TLS with pinned certificates", errors);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(clusterFile)!, "party0.key")), "the launch's keys are removed with it");
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => client.HealthAsync());
    }

    private const int Sigterm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    [Fact]
    public async Task Parties_waiting_on_a_client_that_ended_its_part_without_sending_fail_at_once_not_after_the_timeout()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ReceiveTimeout = TimeSpan.FromSeconds(30) });
        await using var client = cluster.CreateClient();
        var clock = Stopwatch.StartNew();

        var outcome = await client.RunJobAsync(ExchangeCheckJob.JobName, new Dictionary<string, string> { ["bytes"] = "10" }, new SilentClientPart());

        // The client's link stays up (and heartbeats), so only its end notice tells the parties nothing more will come.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"failed after {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(outcome.Client!.Ok);
        Assert.All(outcome.Parties, r =>
        {
            Assert.False(r.Ok);
            Assert.Contains("receiving from client: client finished its part of the session and sends nothing more", r.Error);
        });
    }

    [Fact]
    public async Task A_party_dying_mid_job_fails_the_session_at_the_others_at_once()
    {
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ReceiveTimeout = TimeSpan.FromSeconds(30) });
        await using var client = cluster.CreateClient();
        var endless = new Dictionary<string, string> { ["ping-rounds"] = "100000000", ["bytes"] = "0" };

        var run = client.RunJobAsync(ExchangeCheckJob.JobName, endless);
        await Task.Delay(1000);
        var clock = Stopwatch.StartNew();
        using (var victim = Process.GetProcessById(cluster.ProcessIds[1]))
            victim.Kill();
        var outcome = await run.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the survivors took {clock.Elapsed.TotalSeconds:0.0} s to notice");
        Assert.All(outcome.Parties, r => Assert.False(r.Ok));
        Assert.Contains("party 1", outcome.Parties[1].Error);
        // A survivor notices the dead party when receiving (the link went down) or when sending (the link is down, or
        // already removed: "no link from party 0 to party 1"), as in PartyFailureTests.
        var errors = outcome.Parties[0].Error + " " + outcome.Parties[2].Error;
        const string expected = "link to party 1 (went|is) down|no link from party [02] to party 1";
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(errors, expected), $"expected /{expected}/ in: {errors}");
    }

    private sealed class SilentClientPart : IPartyJob
    {
        public string Name => ExchangeCheckJob.JobName;

        public string Description => "joins the session and sends nothing";

        public void Run(PartyJobContext context)
        {
        }
    }

    private static void AssertExited(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            Assert.True(process.HasExited, $"party process {processId} is still running");
        }
        catch (ArgumentException)
        {
            // No such process any more.
        }
    }
}
