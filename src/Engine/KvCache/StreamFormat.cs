namespace PrivateInference.Engine.KvCache;

/// <summary>
/// The storage format of one cached stream ([token][width] values: a layer's X, a latent, keys or values) and its exact
/// size. <see cref="Bits"/> null means the stream is kept exactly in fp32 (quantization off, for lossless checks).
/// Codes are counted packed per row; every scale and zero point is an fp16 (2 bytes); recent-window rows are fp16.
/// </summary>
public readonly record struct StreamFormat(int Width, QuantizationAxis Axis, int? Bits)
{
    /// <summary>Channels per per-token group (XQuant's 128; a shorter row is one group).</summary>
    public const int TokenGroup = 128;

    /// <summary>Tokens per per-channel block (KIVI's group size).</summary>
    public const int ChannelBlockTokens = 32;

    public int TokenGroups => (Width + TokenGroup - 1) / TokenGroup;

    public int CodeBytesPerRow => Bits is { } b ? UniformQuantizer.PackedBytes(Width, b) : 4 * Width;

    public int RecentBytesPerRow => 2 * Width;

    /// <summary>Bytes one quantized token costs in steady state: its codes plus its share of scales and zero points
    /// (per-channel blocks spread theirs over the block's tokens).</summary>
    public double QuantizedBytesPerToken => Bits is null
        ? 4.0 * Width
        : CodeBytesPerRow + Axis switch
        {
            QuantizationAxis.PerToken => 4.0 * TokenGroups,
            _ => 4.0 * Width / ChannelBlockTokens,
        };

    /// <summary>Exact bytes held for <paramref name="quantized"/> quantized and <paramref name="recent"/> fp16 rows;
    /// a per-channel block pays its scales in full as soon as it is opened.</summary>
    public long BytesHeld(int quantized, int recent)
    {
        if (Bits is null) return 4L * Width * (quantized + recent);
        long overhead = Axis == QuantizationAxis.PerToken
            ? 4L * TokenGroups * quantized
            : 4L * Width * ((quantized + ChannelBlockTokens - 1) / ChannelBlockTokens);
        return (long)CodeBytesPerRow * quantized + overhead + (long)RecentBytesPerRow * recent;
    }
}
