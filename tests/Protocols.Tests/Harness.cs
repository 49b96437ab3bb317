using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests;

/// <summary>Runs a program as P0..P2 and the client and hands back what the client received.</summary>
internal static class Harness
{
    public static readonly SchemeKind[] Schemes = [SchemeKind.ThreePc, SchemeKind.TwoPcDealer];

    public static IEnumerable<object[]> BothSchemes() => Schemes.Select(s => new object[] { s });

    public static double[] RunToClient(SchemeKind scheme, Func<MpcContext, SecretTensor> program, MpcOptions? options = null)
    {
        var results = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx => ctx.Reveal(program(ctx), PartyIds.Client), options);
        for (int i = 0; i < 3; i++) Assert.Null(results[i]);
        return results[3]!;
    }

    private static readonly AsyncLocal<int?> Seed = new();

    /// <summary>
    /// A generator with a fresh seed per test (inputs differ on every run), remembered so that a failing
    /// comparison reports it; set PI_TEST_SEED to replay one.
    /// </summary>
    public static Random FreshRng()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("PI_TEST_SEED"), out var s) ? s : Random.Shared.Next();
        Seed.Value = seed;
        return new Random(seed);
    }

    public static double[] Uniform(Random rng, int n, double lo, double hi)
    {
        var r = new double[n];
        for (int i = 0; i < n; i++) r[i] = lo + (hi - lo) * rng.NextDouble();
        return r;
    }

    /// <summary>The value the fixed-point encoding actually carries (references are computed on it).</summary>
    public static double Quantize(double x, int fracBits = 16) => Math.Round(x * (1 << fracBits)) / (1 << fracBits);

    public static void AssertClose(double[] expected, double[] actual, double absTol, double relTol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(expected[i] - actual[i]);
            double allowed = absTol + relTol * Math.Abs(expected[i]);
            if (err - allowed > worst || double.IsNaN(actual[i])) { worst = err - allowed; at = i; }
        }
        Assert.True(at < 0, at < 0 ? "" : $"{what}: element {at} expected {expected[at]} got {actual[at]} (allowed abs {absTol} + rel {relTol}; PI_TEST_SEED={Seed.Value})");
    }
}
