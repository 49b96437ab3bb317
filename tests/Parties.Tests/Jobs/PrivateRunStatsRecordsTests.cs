using PrivateInference.Engine.Private;
using PrivateInference.Parties.Jobs;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Tests.Jobs;

public class PrivateRunStatsRecordsTests
{
    private static CommStats Stats(long n) => new() { BytesSent = n, BytesReceived = n + 1, MessagesSent = n + 2, MessagesReceived = n + 3, Rounds = n + 4, PreprocessingBytesSent = n + 5, ElapsedMs = n + 0.5 };

    [Fact]
    public void A_private_runs_figures_survive_the_typed_wire_form()
    {
        var result = new PrivateRunResult { PartyId = 1, Total = Stats(100), Setup = Stats(10), Prefill = Stats(50), PrefillMs = 12.5 };
        result.DecodeSteps.AddRange([Stats(1), Stats(2)]);
        result.LastStepByLabel["softmax"] = Stats(7);
        result.PrefillByLabel["exp"] = Stats(8);

        var wire = Google.Protobuf.MessageExtensions.ToByteArray(PrivateRunStatsRecords.ToRecord(result));
        var back = PrivateRunStatsRecords.FromRecord(1, Protos.PrivateRunStats.Parser.ParseFrom(wire));

        Assert.Equal(result.Total, back.Total);
        Assert.Equal(result.Setup, back.Setup);
        Assert.Equal(result.Prefill, back.Prefill);
        Assert.Equal(12.5, back.PrefillMs);
        Assert.Equal(result.DecodeSteps, back.DecodeSteps);
        Assert.Equal(Stats(7), back.LastStepByLabel["softmax"]);
        Assert.Equal(Stats(8), back.PrefillByLabel["exp"]);
    }

    [Fact]
    public void A_party_that_sent_no_figures_is_named()
    {
        var missing = Assert.Throws<InvalidOperationException>(() => PrivateRunStatsRecords.FromRecord(2, null));
        Assert.Contains("party 2 sent no run figures", missing.Message);
    }
}
