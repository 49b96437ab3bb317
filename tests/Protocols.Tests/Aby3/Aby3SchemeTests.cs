using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Aby3;

/// <summary>The replicated structure itself: P_i's second component is P_(i+1)'s first, after every kind of op.</summary>
public class Aby3SchemeTests
{
    [Fact]
    public void Every_op_leaves_a_consistent_two_out_of_three_sharing()
    {
        var rng = new Random(50);
        var a = Harness.Uniform(rng, 64, -10, 10);
        var res = InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [8, 8], a);
            var outs = new[] { x, ctx.Mul(x, x), ctx.MatMul(x, x), ctx.LessThanZero(x), ctx.Truncate(x, 3), ctx.Exp(ctx.Neg(ctx.Mul(x, x))) };
            return outs.Select(t => t.Data.C).ToArray();
        });
        for (int op = 0; op < res[0].Length; op++)
            for (int p = 0; p < 3; p++)
                Assert.Equal(res[p][op][1], res[(p + 1) % 3][op][0]);
        Assert.All(res[3], c => Assert.Empty(c));
    }

    [Fact]
    public void No_single_party_holds_the_value()
    {
        var res = InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [64], Enumerable.Repeat(1.0, 64).ToArray());
            return x.Data.C;
        });
        // Both components a party holds are fresh random values, not the encoding of 1.0.
        for (int p = 0; p < 3; p++)
            Assert.All(res[p], c => Assert.DoesNotContain(65536UL, c));
    }
}
