using System.Globalization;
using System.Text;
using PrivateInference.Engine.Private;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Private;

/// <summary>
/// The per-operation table of a private run (`--breakdown`): per label (labels nest: "softmax" includes its "exp")
/// and compute party, rounds, bytes sent online and as preprocessing (data-independent correlated randomness) and
/// the wall time inside the op; the last column is the floor on the run's network (rounds × delay + the busiest
/// party's bytes / bandwidth), to read beside the time.
/// </summary>
public static class OperationBreakdown
{
    public static string Table(string phase, IReadOnlyList<PrivateRunResult> results, Func<PrivateRunResult, IReadOnlyDictionary<string, CommStats>> labels,
        NetworkProfile network)
    {
        var parties = PartyIds.ComputeParties.Select(p => results.Single(r => r.PartyId == p)).ToArray();
        var names = parties.SelectMany(p => labels(p).Keys).Distinct()
            .OrderByDescending(l => parties.Max(p => labels(p).GetValueOrDefault(l)?.BytesSent ?? 0)).ToList();
        var sb = new StringBuilder($"| op ({phase}) | " + string.Join(" | ", parties.Select(p => $"P{p.PartyId} rounds | P{p.PartyId} online B | P{p.PartyId} preproc B | P{p.PartyId} ms")) + " | network floor ms |\n");
        sb.Append("|---|" + string.Concat(parties.Select(_ => "---:|---:|---:|---:|")) + "---:|\n");
        foreach (var l in names)
        {
            var stats = parties.Select(p => labels(p).GetValueOrDefault(l)).ToArray();
            long rounds = stats.Max(s => s?.Rounds ?? 0), bytes = stats.Max(s => s?.BytesSent ?? 0);
            sb.Append($"| {l} | " + string.Join(" | ", stats.Select(s => s is null ? "0 | 0 | 0 | 0" :
                $"{s.Rounds} | {s.OnlineBytesSent} | {s.PreprocessingBytesSent} | {s.ElapsedMs.ToString("F1", CultureInfo.InvariantCulture)}")) +
                $" | {network.FloorMs(rounds, bytes).ToString("F1", CultureInfo.InvariantCulture)} |\n");
        }
        return sb.ToString();
    }
}
