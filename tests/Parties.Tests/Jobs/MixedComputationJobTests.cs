using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Protocols.Benchmarks;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Tests.Jobs;

/// <summary>The protocols' mixed computation through real party processes equals the in-process run.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class MixedComputationJobTests
{
    [Theory]
    [InlineData("3pc")]
    [InlineData("2pc")]
    public async Task PartyProcessesOverGrpcComputeWhatTheInProcessRunComputes(string scheme)
    {
        var kind = scheme == "3pc" ? SchemeKind.ThreePc : SchemeKind.TwoPcDealer;
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Scheme = scheme });
        await using var client = cluster.CreateClient();
        var outcome = (await client.RunJobAsync(MixedComputationJob.JobName, null, new MixedComputationJob(), new MixedComputationJob())).EnsureSuccess();
        var overGrpc = MixedComputationJob.Output(outcome.Client!.Values);

        var inProcess = InProcessSession.Run(kind, MixedComputation.Participants, MixedComputation.Run)[Array.IndexOf(MixedComputation.Participants, PartyIds.Client)]!;
        var reference = MixedComputation.Reference();

        Assert.Equal(inProcess.Length, overGrpc.Length);
        for (int i = 0; i < overGrpc.Length; i++)
        {
            // Truncations may round down by one unit depending on their random masks, so runs agree to the tolerance.
            Assert.InRange(overGrpc[i], inProcess[i] - MixedComputation.Tolerance, inProcess[i] + MixedComputation.Tolerance);
            Assert.InRange(overGrpc[i], reference[i] - MixedComputation.Tolerance, reference[i] + MixedComputation.Tolerance);
        }
        // Only the client got an output; the parties report sizes only.
        Assert.All(outcome.Parties, p => Assert.False(p.Values.ContainsKey("output")));
    }
}
