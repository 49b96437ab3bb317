using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Aby3;

/// <summary>The replicated structure itself: P_i's second component is P_(i+1)'s first, after every kind of op.</summary>
public class Aby3SchemeTests
{
    [Fact]
    public void Every_linear_op_on_inputs_leaves_a_consistent_two_out_of_three_sharing()
    {
        var rng = new Random(50);
        var a = Harness.Uniform(rng, 64, -10, 10);
        var res = InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [8, 8], a);
            var outs = new[] { x, ctx.Mul(x, x), ctx.MatMul(x, x), ctx.Truncate(x, 3) };
            Assert.All(outs, t => Assert.False(t.Pair));
            return outs.Select(t => t.Data.C).ToArray();
        });
        for (int op = 0; op < res[0].Length; op++)
            for (int p = 0; p < 3; p++)
                Assert.Equal(res[p][op][1], res[(p + 1) % 3][op][0]);
        Assert.All(res[3], c => Assert.Empty(c));
    }

    [Fact]
    public void Gates_and_the_ops_that_consume_them_stay_on_the_two_out_of_two_form_until_a_value_goes_to_P2()
    {
        var rng = new Random(51);
        var a = Harness.Uniform(rng, 64, -3, 3);
        var res = InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [8, 8], a);
            var e = ctx.Exp(ctx.Neg(ctx.Mul(x, x)));
            var outs = new[] { ctx.LessThanZero(x), e, ctx.Mul(e, x), ctx.MatMul(e, x) + x };
            Assert.All(outs, t => Assert.True(t.Pair));
            var components = outs.Select(t => t.Data.C.Length).ToArray();
            var atHelper = ctx.Reveal(outs[3], PartyIds.P2);
            var atClient = ctx.Reveal(outs[3], PartyIds.Client);
            return (components, atHelper ?? atClient);
        });
        Assert.Equal([1, 1, 1, 1], res[0].components);
        Assert.Equal([1, 1, 1, 1], res[1].components);
        Assert.Equal([0, 0, 0, 0], res[2].components);
        Assert.NotNull(res[2].Item2);
        Assert.Equal(res[2].Item2!, res[3].Item2!);
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
