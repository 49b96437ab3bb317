using System.Globalization;
using PrivateInference.Parties.Clusters;
using PrivateInference.Protocols.Benchmarks;
using PrivateInference.Protocols;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// The protocols' mixed end-to-end computation (<see cref="MixedComputation"/>) as a job, so the same program can be
/// run over real party processes and over the in-process transport and the results compared. Every endpoint runs it;
/// the client's revealed output goes into its own results (it is the client's data, shown to nobody else).
/// </summary>
public sealed class MixedComputationJob : IPartyJob
{
    public const string JobName = "mixed-check";

    public string Name => JobName;

    public string Description => "mixed MPC computation (inputs, prepared matmul, softmax, SiLU, rsqrt, top-k, gather, reveal)";

    public void Run(PartyJobContext context)
    {
        var scheme = context.Scheme == "2pc" ? SchemeKind.TwoPcDealer : SchemeKind.ThreePc;
        using var mpc = MpcContext.Create(scheme, context.Transport, context.Endpoints, new MpcOptions { SessionLabel = context.SessionId });
        var output = MixedComputation.Run(mpc);
        if (output is not null)
            context.Results["output"] = string.Join(",", output.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        context.Results["bytes_sent"] = mpc.Channel.Total.BytesSent.ToString(CultureInfo.InvariantCulture);
        context.Results["rounds"] = mpc.Channel.Total.Rounds.ToString(CultureInfo.InvariantCulture);
    }

    public static double[] Output(IReadOnlyDictionary<string, string> clientValues) =>
        clientValues["output"].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
