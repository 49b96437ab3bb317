using System.Globalization;
using PrivateInference.Parties.Clusters;
using PrivateInference.Protocols.Benchmarks;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;

namespace PrivateInference.Parties.Jobs;

/// <summary>One case of `pi bench ops` on the compute parties of a cluster; each returns its timings and counters.</summary>
public sealed class OpsBenchJob : IPartyJob
{
    public const string JobName = "ops-bench";

    public string Name => JobName;

    public string Description => "time one MPC operation (benchmark)";

    public static Dictionary<string, string> Arguments(BenchCase c, int repetitions) => new()
    {
        ["op"] = c.Op, ["size"] = c.Size, ["repetitions"] = repetitions.ToString(CultureInfo.InvariantCulture),
    };

    public void Run(PartyJobContext context)
    {
        var scheme = context.Scheme == "2pc" ? SchemeKind.TwoPcDealer : SchemeKind.ThreePc;
        var c = new BenchCase(context.Argument("op", "mul"), context.Argument("size", "1K"));
        int repetitions = checked((int)context.LongArgument("repetitions", 5));
        using var mpc = MpcContext.Create(scheme, context.Transport, context.Endpoints, new MpcOptions { SessionLabel = context.SessionId });
        var m = OpsBenchmark.RunParty(mpc, c, repetitions);
        context.Results["latencies_ms"] = string.Join(",", m.LatenciesMs.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        context.Results["per_repetition"] = string.Join(";", m.PerRepetition.Select(s =>
            $"{PrivateJobArguments.Encode(s)},{s.ReceiveWaitMs.ToString("R", CultureInfo.InvariantCulture)}"));
    }

    public static PartyMeasurement Measurement(int partyId, IReadOnlyDictionary<string, string> values)
    {
        var latencies = values["latencies_ms"].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var reps = values["per_repetition"].Split(';').Select(r =>
        {
            int last = r.LastIndexOf(',');
            return PrivateJobArguments.Decode(r[..last]) with { ReceiveWaitMs = double.Parse(r[(last + 1)..], CultureInfo.InvariantCulture) };
        }).ToArray();
        return new PartyMeasurement(partyId, latencies, reps);
    }
}
