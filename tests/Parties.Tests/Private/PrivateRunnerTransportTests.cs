using PrivateInference.Engine;
using PrivateInference.Engine.Benchmarks;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Parties.Private;
using PrivateInference.Parties.Tests.Security;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Tests.Private;

/// <summary>`--transport inproc` and `--transport grpc` are one route: the same jobs, refused by the same session checks.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class PrivateRunnerTransportTests(LocalClusterFixture parties) : IClassFixture<LocalClusterFixture>
{
    public enum PrivateJob { Generate, Perplexity, Bench }

    private static readonly string[] Transports = ["inproc", "grpc"];

    [Fact]
    public async Task One_private_generation_gives_the_plaintext_tokens_through_both_transports()
    {
        var prompt = Stories.Prompt("Once upon a time");
        var expected = Stories.PlainTokens(prompt, 3);
        foreach (var transport in Transports)
        {
            await using var runner = await PrivateRunner.StartAsync(Settings(transport, fracBits: 16), CancellationToken.None);
            var results = await runner.GenerateAsync(Stories.Weights, Inputs(prompt), 3, CancellationToken.None);

            Assert.Equal(expected, results.Single(r => r.PartyId == PartyIds.Client).Tokens);
            Assert.All(PartyIds.ComputeParties, p => Assert.True(results.Single(r => r.PartyId == p).Total.BytesSent > 0, transport));
        }
    }

    [Theory]
    [InlineData(PrivateJob.Generate)]
    [InlineData(PrivateJob.Perplexity)]
    [InlineData(PrivateJob.Bench)]
    public async Task A_bad_session_term_is_refused_alike_by_both_transports_before_any_part_runs(PrivateJob job)
    {
        // 30 fractional bits: a session term every party refuses (8..24) when the session is opened.
        var inProcess = await Refusal("inproc", job, fracBits: 30);
        var overGrpc = await Refusal("grpc", job, fracBits: 30);

        Assert.Contains("job argument 'frac_bits' must be an integer in 8..24, not '30'", inProcess);
        Assert.Equal(overGrpc, inProcess);
    }

    [Fact]
    public async Task A_bench_point_beyond_the_model_is_refused_alike_by_both_transports()
    {
        var context = Stories.Weights.Config.SeqLen + 1;
        var inProcess = await Refusal("inproc", PrivateJob.Bench, fracBits: 16, benchContext: context);
        var overGrpc = await Refusal("grpc", PrivateJob.Bench, fracBits: 16, benchContext: context);

        Assert.Contains("job argument 'context'", inProcess);
        Assert.Equal(overGrpc, inProcess);
    }

    /// <summary>The refusal after the session id (which differs between two runs): "party N: reason".</summary>
    private async Task<string> Refusal(string transport, PrivateJob job, int fracBits, int benchContext = 4)
    {
        var prompt = Stories.Prompt("Once");
        await using var runner = await PrivateRunner.StartAsync(Settings(transport, fracBits), CancellationToken.None);
        var error = await Assert.ThrowsAsync<InputException>(() => job switch
        {
            PrivateJob.Generate => runner.GenerateAsync(Stories.Weights, Inputs(prompt), 2, CancellationToken.None),
            PrivateJob.Perplexity => runner.PerplexityAsync(Stories.Weights, [prompt], null, CancellationToken.None),
            _ => runner.BenchmarkAsync(Stories.Weights, Stories.Folded, new PrivateBenchPoint(benchContext, 1, LayersOnly: true), CancellationToken.None),
        });
        Assert.StartsWith("the private run failed: could not open session '", error.Message);
        return error.Message[(error.Message.IndexOf("': ", StringComparison.Ordinal) + 3)..];
    }

    private PrivateRunSettingsCli Settings(string transport, int fracBits) => new(
        SchemeKind.ThreePc, transport, transport == "grpc" ? parties.Cluster.ClusterFile : null, NetworkProfile.None, fracBits);

    private static ClientInputs Inputs(IReadOnlyList<int> prompt) => new(prompt, new Sampler(0, 0.9f, 1));
}
