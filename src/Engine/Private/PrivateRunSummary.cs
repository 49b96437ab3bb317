using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Private;

/// <summary>The figures a private run reports: client-side latency and each compute party's communication.</summary>
public sealed record PrivateRunSummary(
    int Tokens, double PrefillMs, double DecodeMedianMs, double DecodeP90Ms,
    long[] BytesSentPerParty, long[] DecodeBytesPerTokenPerParty, long[] DecodeRoundsPerTokenPerParty, long[] PrefillBytesPerParty,
    long[] SetupBytesPerParty)
{
    public static PrivateRunSummary From(IReadOnlyList<PrivateRunResult> results)
    {
        var client = results.Single(r => r.PartyId == PartyIds.Client);
        var parties = PartyIds.ComputeParties.Select(p => results.Single(r => r.PartyId == p)).ToArray();
        long PerStep(PrivateRunResult r, Func<CommStats, long> f) => r.DecodeSteps.Count == 0 ? 0 : (long)Median(r.DecodeSteps.Select(s => (double)f(s)).ToList());
        return new PrivateRunSummary(
            client.Tokens.Count, client.PrefillMs, Median(client.DecodeMs), Percentile(client.DecodeMs, 0.9),
            parties.Select(r => r.Total.BytesSent).ToArray(),
            parties.Select(r => PerStep(r, s => s.BytesSent)).ToArray(),
            parties.Select(r => PerStep(r, s => s.Rounds)).ToArray(),
            parties.Select(r => r.Prefill.BytesSent).ToArray(),
            parties.Select(r => r.Setup.BytesSent).ToArray());
    }

    public static double Median(IReadOnlyList<double> xs) => Percentile(xs, 0.5);

    public static double Percentile(IReadOnlyList<double> xs, double q)
    {
        if (xs.Count == 0) return double.NaN;
        var sorted = xs.OrderBy(v => v).ToArray();
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = (int)Math.Ceiling(at);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }
}
