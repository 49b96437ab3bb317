using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Tests;

public class InProcessJobRunnerTests
{
    [Fact]
    public async Task All_roles_of_a_job_run_as_threads_over_the_session_framing()
    {
        var outcome = (await InProcessJobRunner.RunAsync(new ExchangeCheckJob(),
            new Dictionary<string, string> { ["bytes"] = "2500000", ["ping-rounds"] = "3" }, withClient: true)).EnsureSuccess();

        Assert.Equal([0, 1, 2, Endpoints.Client], outcome.All.Select(r => r.PartyId));
        Assert.Equal(4, outcome.All.Select(r => r.Values["received_sha256"]).Distinct().Count());
    }

    [Fact]
    public async Task The_received_digest_depends_on_the_seed()
    {
        var first = await InProcessJobRunner.RunAsync(new ExchangeCheckJob(), new Dictionary<string, string> { ["bytes"] = "1000", ["seed"] = "1" });
        var second = await InProcessJobRunner.RunAsync(new ExchangeCheckJob(), new Dictionary<string, string> { ["bytes"] = "1000", ["seed"] = "2" });

        Assert.NotEqual(first.Parties[0].Values["received_sha256"], second.Parties[0].Values["received_sha256"]);
    }
}
