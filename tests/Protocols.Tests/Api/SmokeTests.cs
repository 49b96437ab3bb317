using PrivateInference.Protocols;

namespace PrivateInference.Protocols.Tests.Api;

public class SmokeTests
{
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Mul_matches_product(SchemeKind scheme)
    {
        var rng = new Random(1);
        var a = Harness.Uniform(rng, 50, -10, 10);
        var b = Harness.Uniform(rng, 50, -10, 10);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [50], a);
            var y = ctx.Input(PartyIds.Client, [50], b);
            return ctx.Mul(x, y);
        });
        Harness.AssertClose(a.Zip(b, (p, q) => Harness.Quantize(p) * Harness.Quantize(q)).ToArray(), got, 3e-5, 0, "mul");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void LessThanZero_matches_sign(SchemeKind scheme)
    {
        var rng = new Random(2);
        var a = Harness.Uniform(rng, 200, -100, 100);
        var got = Harness.RunToClient(scheme, ctx => ctx.LessThanZero(ctx.Input(PartyIds.Client, [200], a)));
        Harness.AssertClose(a.Select(v => Harness.Quantize(v) < 0 ? 1.0 : 0.0).ToArray(), got, 0, 0, "ltz");
    }
}
