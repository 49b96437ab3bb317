using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>
/// <see cref="MpcContext.HelperRoles"/>: the same ops with another compute party as the helper give the same values,
/// move the helper's bytes to that party, and refuse 2-out-of-2 shares made under other roles.
/// </summary>
public class RolesTests
{
    private static double[] Inputs(int n, double lo, double hi, int seed)
    {
        var rng = new Random(seed);
        return Harness.Uniform(rng, n, lo, hi);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Every_helper_gives_the_values_of_the_usual_one(SchemeKind scheme)
    {
        var x = Inputs(4 * 64, -6, 2, 5);
        var y = Inputs(4 * 64, -2, 2, 6);
        var reference = Run(scheme, x, y, shift: 0);
        for (int shift = 1; shift < 3; shift++)
            Harness.AssertClose(reference, Run(scheme, x, y, shift), 2e-4, 2e-3, $"helper roles shifted by {shift}");
        // And the values themselves: softmax rows, x·y, SiLU, exp.
        var expect = new List<double>();
        for (int r = 0; r < 4; r++)
        {
            var row = x.Skip(r * 64).Take(64).ToArray();
            double m = row.Max(), sum = row.Sum(v => Math.Exp(v - m));
            expect.AddRange(row.Select(v => Math.Exp(v - m) / sum));
        }
        expect.AddRange(x.Zip(y, (a, b) => a * b));
        expect.AddRange(x.Select(v => v / (1 + Math.Exp(-v))));
        expect.AddRange(x.Select(Math.Exp));
        Harness.AssertClose([.. expect], reference, 1e-3, 2e-3, "ops under the usual roles (SiLU's error is up to 6e-4)");
    }

    private static double[] Run(SchemeKind scheme, double[] x, double[] y, int shift) =>
        InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var a = ctx.Input(PartyIds.Client, [4, 64], ctx.PartyId == PartyIds.Client ? x : null);
            var b = ctx.Input(PartyIds.Client, [4, 64], ctx.PartyId == PartyIds.Client ? y : null);
            using var roles = ctx.HelperRoles(shift);
            var w = ctx.PrepareWeight(ctx.Reshape(b, 16, 16));
            var parts = new[]
            {
                ctx.Softmax(a), ctx.Mul(a, b), ctx.Silu(a), ctx.Exp(a),
            }.Select(t => ctx.Reshape(t, 1, t.Length)).ToArray();
            // A prepared weight under the same roles: its product joins the output (and must not throw).
            _ = ctx.MatMul(ctx.Reshape(a, 16, 16), w);
            return ctx.Reveal(ctx.Concat(parts, 1), PartyIds.Client);    // under the roles the shares belong to
        })[3]!;

    [Fact]
    public void The_helpers_bytes_move_to_the_party_that_helps()
    {
        var x = Inputs(2048, -6, 2, 7);
        long[] Sent(int shift) => InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var a = ctx.Input(PartyIds.Client, [32, 64], ctx.PartyId == PartyIds.Client ? x : null);
            var before = ctx.Channel.Total.BytesSent;
            using (ctx.HelperRoles(shift)) _ = ctx.Softmax(a);
            return ctx.Channel.Total.BytesSent - before;
        })[..3];
        var usual = Sent(0);
        Assert.True(usual[2] > usual[0] && usual[0] == usual[1], $"P2 helps under the usual roles: {string.Join(", ", usual)}");
        for (int shift = 1; shift < 3; shift++)
        {
            var moved = Sent(shift);
            int helper = (shift + 2) % 3;
            // The same protocol with relabeled parties: physical party (r + shift) mod 3 sends what role r sent.
            for (int role = 0; role < 3; role++)
                Assert.Equal(usual[role], moved[(role + shift) % 3]);
            Assert.True(moved[helper] == usual[2], $"P{helper} helps under shift {shift}");
        }
    }

    [Fact]
    public void Shares_of_one_pair_are_refused_under_another_pair()
    {
        var error = Assert.Throws<InvalidOperationException>(() => InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var a = ctx.Input(PartyIds.Client, [64], ctx.PartyId == PartyIds.Client ? new double[64] : null);
            SecretTensor e;
            using (ctx.HelperRoles(1)) e = ctx.Exp(a);               // P1 and P2 hold it, P0 helps
            return ctx.Add(e, a);                                    // under the usual roles: P0 and P1 would read it
        }));
        Assert.Contains("2-out-of-2 form of P1 and P2", error.Message);
    }

    [Fact]
    public void Replicated_shares_serve_every_roles()
    {
        var x = Inputs(64, -3, 3, 8);
        var got = Harness.RunToClient(SchemeKind.ThreePc, ctx =>
        {
            var a = ctx.Input(PartyIds.Client, [64], ctx.PartyId == PartyIds.Client ? x : null);
            SecretTensor b;
            using (ctx.HelperRoles(2)) b = ctx.Mul(a, a);           // replicated in, replicated out
            using (ctx.HelperRoles(1)) b = ctx.Add(b, a);
            return b;
        });
        Harness.AssertClose(x.Select(v => v * v + v).ToArray(), got, 1e-4, 1e-4, "x² + x across roles");
    }
}
