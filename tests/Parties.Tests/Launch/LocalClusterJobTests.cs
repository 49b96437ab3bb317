using System.Diagnostics;
using System.Globalization;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;

namespace PrivateInference.Parties.Tests;

[Collection(PartyProcessesCollection.Name)]
public sealed class LocalClusterJobTests(LocalClusterFixture fixture) : IClassFixture<LocalClusterFixture>
{
    private static Dictionary<string, string> Exchange(long bytes, long pingRounds = 5) => new()
    {
        ["bytes"] = bytes.ToString(CultureInfo.InvariantCulture),
        ["ping-rounds"] = pingRounds.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Three_parties_and_the_client_exchange_verified_payloads_over_grpc()
    {
        await using var client = fixture.Cluster.CreateClient();

        // 3 MiB per peer crosses the 1 MiB frame size, so chunking and reassembly run through real links.
        var outcome = (await client.RunJobAsync(ExchangeCheckJob.JobName, Exchange(3 << 20), new ExchangeCheckJob())).EnsureSuccess();

        Assert.Equal([0, 1, 2, Endpoints.Client], outcome.All.Select(r => r.PartyId));
        Assert.All(outcome.All, r =>
        {
            Assert.Equal("3", r.Values["peers"].Split(' ').Length.ToString(CultureInfo.InvariantCulture));
            Assert.Equal((3L * (3 << 20) + 3 * 8 * 5).ToString(CultureInfo.InvariantCulture), r.Values["bytes_received"]);
        });
    }

    [Fact]
    public async Task A_job_yields_the_same_deterministic_results_over_party_processes_as_in_process()
    {
        await using var client = fixture.Cluster.CreateClient();
        var arguments = Exchange(2_000_003);
        arguments["seed"] = "42";

        var overGrpc = (await client.RunJobAsync(ExchangeCheckJob.JobName, arguments, new ExchangeCheckJob(), new ExchangeCheckJob())).EnsureSuccess();
        var inProcess = (await InProcessJobRunner.RunAsync(new ExchangeCheckJob(), arguments, withClient: true, withOwner: true)).EnsureSuccess();

        Assert.Equal([0, 1, 2, Endpoints.Client, Endpoints.ModelOwner], overGrpc.All.Select(r => r.PartyId));
        Assert.Equal(
            inProcess.All.Select(r => (r.PartyId, r.Values["received_sha256"], r.Values["bytes_received"])),
            overGrpc.All.Select(r => (r.PartyId, r.Values["received_sha256"], r.Values["bytes_received"])));
    }

    [Fact]
    public async Task The_model_owner_exchanges_with_the_parties_only()
    {
        await using var client = fixture.Cluster.CreateClient();

        var outcome = (await client.RunJobAsync(ExchangeCheckJob.JobName, Exchange(1000), ownerPart: new ExchangeCheckJob())).EnsureSuccess();

        Assert.Null(outcome.Client);
        Assert.Equal("0 1 2", outcome.ModelOwner!.Values["peers"]);
        Assert.All(outcome.Parties, r => Assert.EndsWith($" {Endpoints.ModelOwner}", r.Values["peers"]));
    }

    [Fact]
    public async Task Parties_alone_run_a_job_without_the_client_joining_the_mesh()
    {
        await using var client = fixture.Cluster.CreateClient();

        var outcome = (await client.RunJobAsync(ExchangeCheckJob.JobName, Exchange(1000))).EnsureSuccess();

        Assert.Null(outcome.Client);
        Assert.All(outcome.Parties, r => Assert.Equal("1 2|0 2|0 1".Split('|')[r.PartyId], r.Values["peers"]));
    }

    [Fact]
    public async Task Concurrent_sessions_share_the_links_without_mixing_their_frames()
    {
        await using var client = fixture.Cluster.CreateClient();

        var runs = Enumerable.Range(0, 4).Select(i => client.RunJobAsync(ExchangeCheckJob.JobName, new Dictionary<string, string>
        {
            ["bytes"] = (1_500_000 + i).ToString(CultureInfo.InvariantCulture),
            ["seed"] = (i + 10).ToString(CultureInfo.InvariantCulture),
            ["ping-rounds"] = "20",
        }, new ExchangeCheckJob()));
        var outcomes = await Task.WhenAll(runs);

        Assert.All(outcomes, o => o.EnsureSuccess());
        Assert.Equal(4, outcomes.Select(o => o.SessionId).Distinct().Count());
    }

    [Fact]
    public async Task A_failing_endpoint_aborts_the_session_everywhere_without_waiting_for_the_receive_timeout()
    {
        await using var client = fixture.Cluster.CreateClient();
        var clock = Stopwatch.StartNew();

        var outcome = await client.RunJobAsync(ExchangeCheckJob.JobName, Exchange(1000), new FailingClientPart());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed.TotalSeconds:0.0} s; the parties' receive timeout is 20 s");
        Assert.False(outcome.Ok);
        Assert.Contains("client: the client part failed on purpose", outcome.Client!.Error);
        Assert.All(outcome.Parties, r => Assert.Contains("client aborted the session", r.Error));
        var error = Assert.Throws<JobFailedException>(() => outcome.EnsureSuccess());
        Assert.Contains(outcome.SessionId, error.Message);
    }

    [Fact]
    public async Task An_unknown_job_is_refused_before_anything_runs()
    {
        await using var client = fixture.Cluster.CreateClient();

        var error = await Assert.ThrowsAsync<JobFailedException>(() => client.RunJobAsync("no-such-job"));

        Assert.Contains("unknown job 'no-such-job'", error.Message);
        Assert.Contains(ExchangeCheckJob.JobName, error.Message);
    }

    [Fact]
    public async Task Invalid_job_arguments_come_back_as_each_partys_error()
    {
        await using var client = fixture.Cluster.CreateClient();

        var outcome = await client.RunJobAsync(ExchangeCheckJob.JobName, new Dictionary<string, string> { ["bytes"] = "lots" });

        Assert.All(outcome.Parties, r => Assert.Contains("job argument 'bytes' must be an integer", r.Error));
    }

    [Fact]
    public async Task Health_reports_every_party_linked_to_the_others()
    {
        await using var client = fixture.Cluster.CreateClient();

        var health = await client.HealthAsync();

        Assert.All(health, h =>
        {
            Assert.True(h.Ready);
            Assert.Equal([0, 1, 2], h.ConnectedParties.Append(h.PartyId).Order());
            Assert.Equal(fixture.Cluster.Cluster.ClusterId, h.ClusterId);
            Assert.Equal(0, h.RejectedFrames);
        });
    }

    private sealed class FailingClientPart : IPartyJob
    {
        public string Name => ExchangeCheckJob.JobName;

        public string Description => "a client part that fails at once";

        public void Run(PartyJobContext context) => throw new InvalidOperationException("the client part failed on purpose");
    }
}
