using System.Diagnostics;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Parties.Transport;


namespace PrivateInference.Parties.Tests.Security;

/// <summary>A party process that dies or freezes mid-generation fails everyone else within the timeout, never a hang.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class PartyFailureTests
{
    private const int ManyTokens = 200;

    private static async Task<(LocalCluster Cluster, ClusterClient Client)> StartAsync(TimeSpan timeout)
    {
        var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ReceiveTimeout = timeout });
        var client = cluster.CreateClient(LocalCluster.DefaultClientOptions(cluster.Options) with
        {
            Transport = TransportOptions.Default with { ReceiveTimeout = timeout },
        });
        return (cluster, client);
    }

    /// <summary>Starts a long greedy generation and returns once the client has received its second token.</summary>
    private static async Task<Task<JobOutcome>> StartGenerationAsync(ClusterClient client)
    {
        var prompt = Stories.Prompt("Once upon a time");
        var tokens = 0;
        var underway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (clientPart, ownerPart) = Stories.Parts(prompt, _ =>
        {
            if (Interlocked.Increment(ref tokens) == 2)
                underway.TrySetResult();
        });
        var run = client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, ManyTokens), clientPart, ownerPart);
        await Task.WhenAny(underway.Task, run).WaitAsync(TimeSpan.FromSeconds(60));
        if (run.IsCompleted)
            Assert.Fail($"the generation ended before the fault was injected: {string.Join("; ", (await run).All.Select(r => r.Error))}");
        return run;
    }

    [Fact]
    public async Task Killing_a_party_mid_generation_fails_the_other_parties_and_the_client_with_a_clear_error_within_the_timeout()
    {
        var timeout = TimeSpan.FromSeconds(10);
        var (cluster, client) = await StartAsync(timeout);
        await using (cluster)
        await using (client)
        {
            var run = await StartGenerationAsync(client);
            var clock = Stopwatch.StartNew();
            using (var victim = Process.GetProcessById(cluster.ProcessIds[1]))
                victim.Kill();
            var outcome = await run.WaitAsync(timeout + TimeSpan.FromSeconds(5));

            Assert.True(clock.Elapsed < timeout, $"took {clock.Elapsed.TotalSeconds:0.0} s to fail");
            // The model owner may well have finished (it only shares the weights at the start); everyone else fails.
            Assert.False(outcome.Client!.Ok);
            Assert.All(outcome.Parties, r => Assert.False(r.Ok));
            Assert.Contains("party 1", outcome.Parties[1].Error);
            Assert.Contains("the link to party 1 went down", outcome.Parties[0].Error + outcome.Parties[2].Error);
            Assert.Contains("party", outcome.Client.Error);
            var failure = Assert.Throws<JobFailedException>(() => outcome.EnsureSuccess());
            Assert.StartsWith($"session '{outcome.SessionId}' failed: ", failure.Message);

            // The survivors freed the session.
            await using var survivors = new ClusterClient(cluster.Cluster);
            foreach (var id in new[] { 0, 2 })
                Assert.Equal(0, (await survivors.PingAsync(id)).OpenSessions);
        }
    }

    [Fact]
    public async Task A_party_that_stops_answering_fails_the_session_within_the_timeout_and_the_parties_then_serve_a_new_one()
    {
        // Short enough to keep the test brief, long enough that a loaded machine does not time out by itself.
        var timeout = TimeSpan.FromSeconds(6);
        var (cluster, client) = await StartAsync(timeout);
        await using (cluster)
        await using (client)
        {
            var run = await StartGenerationAsync(client);
            var frozen = cluster.ProcessIds[1];
            var clock = Stopwatch.StartNew();
            Assert.Equal(0, Signal(frozen, Sigstop));
            JobOutcome outcome;
            try
            {
                outcome = await run.WaitAsync(timeout * 4);
            }
            finally
            {
                Signal(frozen, Sigcont);
            }

            Assert.True(clock.Elapsed < timeout * 3, $"took {clock.Elapsed.TotalSeconds:0.0} s to fail");
            Assert.False(outcome.Client!.Ok);
            Assert.False(outcome.Parties[0].Ok);
            Assert.False(outcome.Parties[2].Ok);
            Assert.Contains("neither data nor a heartbeat for 6 s", string.Join(" ", outcome.All.Select(r => r.Error)));

            // Once it answers again, the same parties run a new session correctly.
            await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(10));
            var prompt = Stories.Prompt("Once upon a time");
            var (clientPart, ownerPart) = Stories.Parts(prompt);
            (await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, 3), clientPart, ownerPart))
                .EnsureSuccess();
            Assert.Equal(Stories.PlainTokens(prompt, 3), clientPart.Result!.Tokens);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_party_killed_or_frozen_mid_prefill_fails_the_run_within_the_timeout(bool freeze)
    {
        // The parties compute for long stretches during a long prefill; heartbeats keep them alive to each other, and
        // a party that is killed or frozen is still caught: at once (its links break) or within the timeout.
        var timeout = TimeSpan.FromSeconds(6);
        var (cluster, client) = await StartAsync(timeout);
        await using (cluster)
        await using (client)
        {
            var prompt = Stories.Prompt(string.Concat(Enumerable.Repeat("Once upon a time, there was a little girl named Lily. ", 16)));
            var tokens = 0;
            var (clientPart, ownerPart) = Stories.Parts(prompt, _ => Interlocked.Increment(ref tokens));
            var run = client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, 2), clientPart, ownerPart);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.False(run.IsCompleted, "the run ended before the fault");
            Assert.Equal(0, Volatile.Read(ref tokens));
            var victim = cluster.ProcessIds[1];
            var clock = Stopwatch.StartNew();
            JobOutcome outcome;
            if (freeze)
            {
                Assert.Equal(0, Signal(victim, Sigstop));
                try
                {
                    outcome = await run.WaitAsync(timeout * 4);
                }
                finally
                {
                    Signal(victim, Sigcont);
                }
            }
            else
            {
                using (var process = Process.GetProcessById(victim))
                    process.Kill();
                outcome = await run.WaitAsync(timeout * 4);
            }

            Assert.True(clock.Elapsed < (freeze ? timeout * 3 : timeout), $"took {clock.Elapsed.TotalSeconds:0.0} s to fail");
            Assert.Equal(0, Volatile.Read(ref tokens));
            Assert.False(outcome.Client!.Ok);
            Assert.False(outcome.Parties[0].Ok);
            Assert.False(outcome.Parties[2].Ok);
            var errors = string.Join(" ", outcome.All.Select(r => r.Error));
            // A survivor notices a dead party when receiving (the link went down) or when sending (the link is down, or
            // already removed: "no link from party 0 to party 1", more frequent since P0 and P1 exchange in most rounds).
            var expected = freeze ? "neither data nor a heartbeat for 6 s" : "link to party 1 (went|is) down|no link from party [02] to party 1";
            Assert.True(System.Text.RegularExpressions.Regex.IsMatch(errors, expected), $"expected /{expected}/ in: {errors}");
        }
    }

    [Fact]
    public async Task Pi_generate_exits_with_one_clear_error_line_when_a_party_is_killed_mid_generation()
    {
        var timeout = TimeSpan.FromSeconds(10);
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { ReceiveTimeout = timeout });
        const string prompt = "Once upon a time";
        using var generate = PiProcessRunner.Start("generate", "--model", "stories260K", "--prompt", prompt, "--max-tokens", ManyTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--temperature", "0", "--cluster", cluster.ClusterFile, "--timeout", timeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var stderr = generate.StandardError.ReadToEndAsync();
        var stdout = new System.Text.StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[256];
            int n;
            while ((n = await generate.StandardOutput.ReadAsync(buffer)) > 0)
                lock (stdout)
                    stdout.Append(buffer, 0, n);
        });
        // The prompt is echoed first; a few more characters mean generation is under way.
        var waited = Stopwatch.StartNew();
        while (Length() < prompt.Length + 8)
        {
            if (generate.HasExited || waited.Elapsed > TimeSpan.FromSeconds(90))
            {
                generate.Kill();
                Assert.Fail($"pi generate did not get under way: stdout '{stdout}', stderr: {await stderr}");
            }
            await Task.Delay(50);
        }
        var clock = Stopwatch.StartNew();
        using (var victim = Process.GetProcessById(cluster.ProcessIds[1]))
            victim.Kill();
        await generate.WaitForExitAsync().WaitAsync(timeout + TimeSpan.FromSeconds(5));

        Assert.True(clock.Elapsed < timeout, $"took {clock.Elapsed.TotalSeconds:0.0} s to exit");
        Assert.Equal(1, generate.ExitCode);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("pi: error: ", StringComparison.Ordinal));
        Assert.Contains("the private run failed", error);
        Assert.Contains("party 1", error);
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        await reading;

        int Length()
        {
            lock (stdout)
                return stdout.Length;
        }
    }

    private const int Sigstop = 19;
    private const int Sigcont = 18;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Signal(int pid, int signal);
}
