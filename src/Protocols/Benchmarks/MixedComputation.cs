namespace PrivateInference.Protocols.Benchmarks;

/// <summary>
/// A small fixed program touching every kind of op (inputs from the client and the model owner, prepared-weight
/// matmul, batched matmul, softmax with a causal mask, SiLU, rsqrt, top-k and gather, reveal to the client), for
/// end-to-end checks of a transport: run <see cref="Run"/> as every party of a session and compare the client's
/// result with <see cref="Reference"/> (or with another transport's run) within <see cref="Tolerance"/>. Results
/// of two runs are not bit-identical: each truncation may round down by one unit depending on its random mask.
/// </summary>
public static class MixedComputation
{
    public const int Tokens = 4, Dim = 8;
    public const double Tolerance = 2e-3;

    public static int[] Participants => [PartyIds.P0, PartyIds.P1, PartyIds.P2, PartyIds.Client, PartyIds.ModelOwner];

    private static double[] Data(int seed, int n, double scale)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Math.Round((rng.NextDouble() * 2 - 1) * scale * 65536) / 65536).ToArray();
    }

    private static double[] X => Data(1, Tokens * Dim, 1);
    private static double[] W => Data(2, Dim * Dim, 0.5);

    private static bool[] Causal()
    {
        var m = new bool[Tokens * Tokens];
        for (int i = 0; i < Tokens; i++) for (int j = 0; j <= i; j++) m[i * Tokens + j] = true;
        return m;
    }

    /// <summary>The SPMD program; returns the client's output (null at every other party).</summary>
    public static double[]? Run(MpcContext ctx)
    {
        var x = ctx.Input(PartyIds.Client, [Tokens, Dim], ctx.PartyId == PartyIds.Client ? X : default);
        var w = ctx.PrepareWeight(ctx.Input(PartyIds.ModelOwner, [Dim, Dim], ctx.PartyId == PartyIds.ModelOwner ? W : default));
        var h = ctx.MatMul(x, w);
        var scores = ctx.MatMul(h, ctx.Transpose(x)) * 0.25;
        var p = ctx.Softmax(scores, Causal(), [Tokens, Tokens]);
        var mixed = ctx.Silu(ctx.MatMul(p, x));
        var norm = ctx.Mul(mixed, ctx.Rsqrt(ctx.AddPublic(ctx.MulPublic(ctx.Sum(ctx.Mul(mixed, mixed), keepDim: true), 1.0 / Dim), 1e-2)));
        var oneHot = ctx.TopK(ctx.Reshape(ctx.Slice(norm, 1, 0, 1), 1, Tokens), 2);
        var picked = ctx.Gather(ctx.Reshape(oneHot, 2, Tokens), norm);
        return ctx.Reveal(picked, PartyIds.Client);
    }

    /// <summary>The same computation in float64.</summary>
    public static double[] Reference()
    {
        double[] x = X, w = W;
        double[] MatMul(double[] a, double[] b, int m, int k, int n)
        {
            var c = new double[m * n];
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) { double s = 0; for (int q = 0; q < k; q++) s += a[i * k + q] * b[q * n + j]; c[i * n + j] = s; }
            return c;
        }
        var h = MatMul(x, w, Tokens, Dim, Dim);
        var xt = new double[Dim * Tokens];
        for (int i = 0; i < Tokens; i++) for (int j = 0; j < Dim; j++) xt[j * Tokens + i] = x[i * Dim + j];
        var scores = MatMul(h, xt, Tokens, Dim, Tokens).Select(v => v * 0.25).ToArray();
        var mask = Causal();
        var p = new double[Tokens * Tokens];
        for (int i = 0; i < Tokens; i++)
        {
            double mx = Enumerable.Range(0, Tokens).Where(j => mask[i * Tokens + j]).Max(j => scores[i * Tokens + j]);
            double s = Enumerable.Range(0, Tokens).Where(j => mask[i * Tokens + j]).Sum(j => Math.Exp(scores[i * Tokens + j] - mx));
            for (int j = 0; j < Tokens; j++) p[i * Tokens + j] = mask[i * Tokens + j] ? Math.Exp(scores[i * Tokens + j] - mx) / s : 0;
        }
        var mixed = MatMul(p, x, Tokens, Tokens, Dim).Select(v => v / (1 + Math.Exp(-v))).ToArray();
        var norm = new double[Tokens * Dim];
        for (int i = 0; i < Tokens; i++)
        {
            double ms = Enumerable.Range(0, Dim).Sum(j => mixed[i * Dim + j] * mixed[i * Dim + j]) / Dim + 1e-2;
            for (int j = 0; j < Dim; j++) norm[i * Dim + j] = mixed[i * Dim + j] / Math.Sqrt(ms);
        }
        var order = Enumerable.Range(0, Tokens).OrderByDescending(i => norm[i * Dim]).Take(2);
        return order.SelectMany(i => norm.Skip(i * Dim).Take(Dim)).ToArray();
    }
}
