using PrivateInference.Engine.Private;
using PrivateInference.Parties.Protos;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Jobs;

/// <summary>A private run's figures to and from their typed wire form (<c>PrivateRunStats</c> in party.proto).</summary>
public static class PrivateRunStatsRecords
{
    public static CommStatsRecord ToRecord(CommStats s) => new()
    {
        BytesSent = s.BytesSent, BytesReceived = s.BytesReceived, MessagesSent = s.MessagesSent, MessagesReceived = s.MessagesReceived, Rounds = s.Rounds,
        PreprocessingBytesSent = s.PreprocessingBytesSent, ElapsedMs = s.ElapsedMs,
    };

    public static CommStats FromRecord(CommStatsRecord? r) => r is null ? new CommStats() : new CommStats
    {
        BytesSent = r.BytesSent, BytesReceived = r.BytesReceived, MessagesSent = r.MessagesSent, MessagesReceived = r.MessagesReceived, Rounds = r.Rounds,
        PreprocessingBytesSent = r.PreprocessingBytesSent, ElapsedMs = r.ElapsedMs,
    };

    public static PrivateRunStats ToRecord(PrivateRunResult result)
    {
        var stats = new PrivateRunStats
        {
            Total = ToRecord(result.Total), Setup = ToRecord(result.Setup), Prefill = ToRecord(result.Prefill), PrefillMs = result.PrefillMs,
        };
        stats.Steps.AddRange(result.DecodeSteps.Select(ToRecord));
        foreach (var (label, s) in result.LastStepByLabel)
            stats.LastStepLabels[label] = ToRecord(s);
        foreach (var (label, s) in result.PrefillByLabel)
            stats.PrefillLabels[label] = ToRecord(s);
        return stats;
    }

    /// <summary>A compute party's figures as the client got them; throws when the party sent none.</summary>
    public static PrivateRunResult FromRecord(int partyId, PrivateRunStats? stats)
    {
        if (stats is null)
            throw new InvalidOperationException($"party {partyId} sent no run figures");
        var r = new PrivateRunResult
        {
            PartyId = partyId, Total = FromRecord(stats.Total), Setup = FromRecord(stats.Setup), Prefill = FromRecord(stats.Prefill), PrefillMs = stats.PrefillMs,
        };
        r.DecodeSteps.AddRange(stats.Steps.Select(FromRecord));
        foreach (var (label, s) in stats.LastStepLabels)
            r.LastStepByLabel[label] = FromRecord(s);
        foreach (var (label, s) in stats.PrefillLabels)
            r.PrefillByLabel[label] = FromRecord(s);
        return r;
    }
}
