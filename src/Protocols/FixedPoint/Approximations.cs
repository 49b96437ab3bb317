namespace PrivateInference.Protocols.FixedPoint;

/// <summary>
/// The polynomial approximations behind the nonlinear functions, as power-basis coefficients c_0..c_d of a variable
/// the protocol forms for free (a public shift and a power-of-two scale of its input). Chebyshev interpolation on the
/// variable's interval keeps the error near the minimax bound; the figures below are the interpolants' maxima,
/// checked in FixedPoint/ApproximationsTests.
/// </summary>
internal static class Approximations
{
    /// <summary>e^x as a polynomial in u = x/8 + Shift (read for free at a finer scale) followed by squarings:
    /// e^x = p(u)^(2^Squarings), the interpolant of e^(x/2^Squarings) on |u| ≤ HalfWidth.</summary>
    public sealed record ExpApproximation(double Shift, double HalfWidth, int Squarings, double[] Coefficients);

    /// <summary>exp on x ∈ [−16.5, 5] (the public <c>Exp</c>): u = x/8 + 11/16 ∈ [−1.3125, 1.3125], e^(u − 11/16) by its
    /// degree-8 interpolant (relative error 4.2e-7 before the squarings), three squarings: e^x = (e^(x/8))^8, relative
    /// error ~3.4e-6.</summary>
    public static readonly ExpApproximation Exp = new(11.0 / 16, 1.3125, 3,
        Chebyshev(u => Math.Exp(u - 11.0 / 16), 1.3125, 8));

    /// <summary>exp on x ∈ [−16.5, 1/4] (softmax's x − m with m within 1/4 below the maximum, sigmoid's −|x|):
    /// u = x/8 + 65/64 ∈ [−1.046875, 1.046875], e^(2(u − 65/64)) = e^(x/4) by its degree-8 interpolant (absolute error
    /// 1.5e-6), two squarings: e^x = (e^(x/4))^4, absolute error below 4·1.07³·1.5e-6 ≈ 7.4e-6 (below 2^-16),
    /// one product round and one squaring's bytes fewer than <see cref="Exp"/>.</summary>
    public static readonly ExpApproximation ExpToQuarter = new(65.0 / 64, 67.0 / 64, 2,
        Chebyshev(u => Math.Exp(2 * (u - 65.0 / 64)), 67.0 / 64, 8));

    /// <summary>(1 − e)^(−1/2) by its binomial series to degree 4 (C(2j, j) / 4^j): remainder ≤ 2.5e-6 for |e| ≤ 0.0865.</summary>
    public static readonly double[] RsqrtSeries = Enumerable.Range(0, 5).Select(j =>
    {
        double c = 1;
        for (int i = 1; i <= j; i++) c *= (2.0 * i - 1) / (2.0 * i);
        return c;
    }).ToArray();

    /// <summary>
    /// SiLU's tail h(t) = t·σ(−t) = relu(x) − silu(x) at t = min(|x|, 8), as a degree-8 polynomial in
    /// v = (t − 4)/8 ∈ [−1/2, 1/2]. Lawson fit on [0, 8] minimizing max |p − h| / min(1, t + 0.05), so the error
    /// is small where silu is small: ≤ 6.3e-4·(t + 0.05) for t &lt; 0.95 and ≤ 6.3e-4 on [0.95, 8]; past 8 the
    /// clamp adds h(8) = 2.7e-3 (max |p(min(t, 8)) − h(t)| over t ≥ 0 is 3.3e-3).
    /// </summary>
    public static readonly double[] SiluTail =
    [
        0.07222726622762782, -0.4112533594984083, 1.0019980565982223, -1.5682456665740303, -0.2893009162423331,
        16.12196704473937, -32.30378452514327, -12.862148702782013, 51.6450685236523,
    ];

    /// <summary>Power-basis coefficients of the degree-d Chebyshev interpolant of f on [−h, h].</summary>
    public static double[] Chebyshev(Func<double, double> f, double h, int d)
    {
        int n = d + 1;
        var a = new double[n, n + 1];
        for (int k = 0; k < n; k++)
        {
            double x = h * Math.Cos(Math.PI * (k + 0.5) / n), p = 1;
            for (int j = 0; j < n; j++) { a[k, j] = p; p *= x; }
            a[k, n] = f(x);
        }
        // Gaussian elimination with partial pivoting on the 9×9 Vandermonde system.
        for (int c = 0; c < n; c++)
        {
            int piv = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[piv, c])) piv = r;
            for (int j = 0; j <= n; j++) (a[c, j], a[piv, j]) = (a[piv, j], a[c, j]);
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double m = a[r, c] / a[c, c];
                for (int j = c; j <= n; j++) a[r, j] -= m * a[c, j];
            }
        }
        var coef = new double[n];
        for (int j = 0; j < n; j++) coef[j] = a[j, n] / a[j, j];
        return coef;
    }

    /// <summary>Horner evaluation (for tests and error bounds).</summary>
    public static double Evaluate(double[] c, double x)
    {
        double r = 0;
        for (int j = c.Length - 1; j >= 0; j--) r = r * x + c[j];
        return r;
    }
}
