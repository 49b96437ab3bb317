using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Tests.Security;

namespace PrivateInference.Parties.Tests.Jobs;

[Collection(PartyProcessesCollection.Name)]
public class InProcessJobRunnerTests(PinnedTermsParties grpc) : IClassFixture<PinnedTermsParties>
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

    private static readonly SessionTerms Pinned = new(Stories.ModelHash, 16, SessionTerms.FullCache);

    /// <summary>The message after the session id, which differs between two runs.</summary>
    private static string Reason(JobFailedException e) => e.Message[(e.Message.IndexOf("': ", StringComparison.Ordinal) + 3)..];

    [Theory]
    [InlineData(SessionTerms.FracBitsArgument, "12")]
    [InlineData(SessionTerms.ModelHashArgument, "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("prompt_length", "600")]
    [InlineData(PrivateJobArguments.WeightsArgument, "borrowed")]
    public async Task A_private_generation_is_refused_alike_in_process_and_over_grpc_before_any_part_runs(string field, string value)
    {
        var prompt = Stories.Prompt("Once");
        var arguments = Stories.GenerateArguments("3pc", prompt.Count, 2);
        arguments[field] = value;
        var (inProcessClient, inProcessOwner) = Stories.Parts(prompt);
        var (grpcClient, grpcOwner) = Stories.Parts(prompt);
        await using var client = grpc.Parties.CreateClient();

        var inProcess = await Assert.ThrowsAsync<JobFailedException>(() =>
            InProcessJobRunner.RunAsync(new PrivateGenerateJob(), arguments, "3pc", inProcessClient, inProcessOwner, Pinned));
        var overGrpc = await Assert.ThrowsAsync<JobFailedException>(() =>
            client.RunJobAsync(PrivateGenerateJob.JobName, arguments, grpcClient, grpcOwner));

        Assert.StartsWith("could not open session", inProcess.Message);
        Assert.Equal(Reason(overGrpc), Reason(inProcess));
        Assert.Null(inProcessClient.Result);
        Assert.Null(inProcessOwner.Result);
        Assert.Null(grpcClient.Result);
    }

    [Fact]
    public async Task One_private_generation_gives_the_same_tokens_in_process_and_over_grpc()
    {
        var prompt = Stories.Prompt("Once upon a time");
        var (inProcessClient, inProcessOwner) = Stories.Parts(prompt);
        var (grpcClient, grpcOwner) = Stories.Parts(prompt);
        var arguments = Stories.GenerateArguments("3pc", prompt.Count, 4);
        await using var client = grpc.Parties.CreateClient();

        (await InProcessJobRunner.RunAsync(new PrivateGenerateJob(), arguments, "3pc", inProcessClient, inProcessOwner, Pinned)).EnsureSuccess();
        (await client.RunJobAsync(PrivateGenerateJob.JobName, arguments, grpcClient, grpcOwner)).EnsureSuccess();

        Assert.Equal(Stories.PlainTokens(prompt, 4), inProcessClient.Result!.Tokens);
        Assert.Equal(inProcessClient.Result.Tokens, grpcClient.Result!.Tokens);
    }

    /// <summary>As over gRPC (heartbeats), a part that computes for longer than the receive timeout without sending is
    /// waited for; one that has ended without sending what is expected fails the receive at once.</summary>
    [Fact]
    public async Task A_party_computing_past_the_timeout_is_waited_for_and_one_that_ended_is_not()
    {
        var options = PrivateInference.Parties.Transport.TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(300) };
        var busy = await InProcessJobRunner.RunAsync(new LateSender(TimeSpan.FromMilliseconds(1200), send: true), options: options);
        Assert.All(busy.Parties, r => Assert.True(r.Ok, r.Error));
        Assert.Equal("42", busy.Parties[1].Values["received"]);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var gone = await InProcessJobRunner.RunAsync(new LateSender(TimeSpan.Zero, send: false), options: options);
        Assert.False(gone.Parties[1].Ok);
        Assert.Contains("party 0 finished its part of the session", gone.Parties[1].Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"failed after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Party 0 computes for a while and then sends one byte to party 1 (or ends without sending).</summary>
    private sealed class LateSender(TimeSpan compute, bool send) : IPartyJob
    {
        public string Name => "late-sender";
        public string Description => "party 0 sends one byte to party 1 after computing";

        public void Run(PartyJobContext context)
        {
            if (context.PartyId == 0)
            {
                Thread.Sleep(compute);
                if (send) context.Transport.Send(1, [42]);
            }
            else if (context.PartyId == 1)
            {
                var b = new byte[1];
                context.Transport.Receive(0, b);
                context.Results["received"] = b[0].ToString();
            }
        }
    }
}
