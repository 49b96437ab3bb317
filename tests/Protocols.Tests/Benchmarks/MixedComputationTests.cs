using PrivateInference.Protocols.Benchmarks;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Benchmarks;

public class MixedComputationTests
{
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Client_result_matches_the_float64_reference(SchemeKind scheme)
    {
        var res = InProcessSession.Run(scheme, MixedComputation.Participants, MixedComputation.Run);
        Assert.All(res.Where((_, i) => MixedComputation.Participants[i] != PartyIds.Client), Assert.Null);
        var client = res[Array.IndexOf(MixedComputation.Participants, PartyIds.Client)]!;
        Harness.AssertClose(MixedComputation.Reference(), client, MixedComputation.Tolerance, 0, $"{scheme} mixed");
    }
}
