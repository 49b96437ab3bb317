using System.Numerics.Tensors;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// Asymmetric uniform quantization of one group of values to B-bit codes: value ≈ zero + code·scale, with zero (the
/// group minimum) and scale stored as fp16, as KIVI and XQuant store them.
/// </summary>
public static class UniformQuantizer
{
    public static int Levels(int bits) => (1 << bits) - 1;

    /// <summary>The fp16 (scale, zero) covering [min, max]. The scale is rounded up, never down, so that the top of the
    /// range stays reachable after fp16 rounding; the zero point rounds to nearest.</summary>
    public static (Half Scale, Half Zero) Range(float min, float max, int bits)
    {
        var zero = (Half)min;
        float span = max - (float)zero;
        if (span <= 0) return (Half.Zero, zero);
        float exact = span / Levels(bits);
        var scale = (Half)exact;
        if ((float)scale < exact) scale = Half.BitIncrement(scale);
        return (scale, zero);
    }

    /// <summary>Quantizes <paramref name="values"/> as one group; returns its fp16 scale and zero.</summary>
    public static (Half Scale, Half Zero) Quantize(ReadOnlySpan<float> values, int bits, Span<byte> codes)
    {
        var (scale, zero) = Range(TensorPrimitives.Min(values), TensorPrimitives.Max(values), bits);
        Encode(values, bits, scale, zero, codes);
        return (scale, zero);
    }

    public static void Encode(ReadOnlySpan<float> values, int bits, Half scale, Half zero, Span<byte> codes)
    {
        for (int i = 0; i < values.Length; i++)
            codes[i] = Encode(values[i], bits, (float)scale, (float)zero);
    }

    public static byte Encode(float value, int bits, float scale, float zero)
    {
        if (scale == 0) return 0;
        float code = MathF.Round((value - zero) / scale);
        return (byte)Math.Clamp(code, 0f, Levels(bits));
    }

    public static void Decode(ReadOnlySpan<byte> codes, Half scale, Half zero, Span<float> values)
    {
        TensorPrimitives.ConvertChecked(codes, values);
        TensorPrimitives.Multiply(values, (float)scale, values);
        TensorPrimitives.Add(values, (float)zero, values);
    }

    public static float Decode(byte code, float scale, float zero) => zero + code * scale;

    /// <summary>Bytes of B-bit codes for one row of <paramref name="width"/> values, packed.</summary>
    public static int PackedBytes(int width, int bits) => (width * bits + 7) / 8;
}
