namespace PrivateInference.Protocols.FixedPoint;

/// <summary>
/// Real numbers as two's-complement integers in Z_2^64 scaled by 2^f (f fractional bits, default 16).
/// Representable range: |x| &lt; 2^(63-f) (2^47 at f = 16), resolution 2^-f. Products carry scale 2f until
/// truncated, and truncation is exact only while the untruncated value stays below 2^62 in magnitude, so a
/// product of two scale-16 values must stay below 2^30 in magnitude (see docs/protocols.md).
/// </summary>
public static class FixedPointEncoding
{
    public const int DefaultFractionalBits = 16;

    public static ulong Encode(double x, int fracBits)
    {
        // The message never carries x: the value may be a secret (a weight, an input), and errors travel to every party.
        if (!Fits(x, fracBits))
            throw new OverflowException(
                $"a value {(double.IsFinite(x) ? $"of magnitude at least 2^{63 - fracBits}" : "that is NaN or infinite")} does not fit in Z_2^64 at {fracBits} fractional bits");
        double s = Math.Round(x * Math.Pow(2, fracBits));
        return unchecked((ulong)(long)s);
    }

    /// <summary>Whether <paramref name="x"/> can be encoded at <paramref name="fracBits"/> (finite and |x·2^f| below 2^63).</summary>
    public static bool Fits(double x, int fracBits)
    {
        double s = Math.Round(x * Math.Pow(2, fracBits));
        return !double.IsNaN(s) && Math.Abs(s) < 9.2e18;
    }

    public static double Decode(ulong v, int fracBits) => unchecked((long)v) / Math.Pow(2, fracBits);

    public static ulong[] Encode(ReadOnlySpan<double> xs, int fracBits)
    {
        var r = new ulong[xs.Length];
        for (int i = 0; i < xs.Length; i++) r[i] = Encode(xs[i], fracBits);
        return r;
    }

    public static double[] Decode(ReadOnlySpan<ulong> vs, int fracBits)
    {
        var r = new double[vs.Length];
        double inv = Math.Pow(2, -fracBits);
        for (int i = 0; i < vs.Length; i++) r[i] = unchecked((long)vs[i]) * inv;
        return r;
    }
}
