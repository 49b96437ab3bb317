namespace PrivateInference.Engine.KvCache;

/// <summary>
/// Exact size of a cache format for one token, over all layers: a quantized token (codes plus its share of scales and
/// zero points) and a token still in the recent window, beside fp16 K and V, the reference the paper's ratios use.
/// </summary>
public sealed record CacheFootprint(int Layers, double BytesPerToken, double RecentBytesPerToken, long Fp16BytesPerToken)
{
    public double BytesPerTokenPerLayer => BytesPerToken / Layers;

    /// <summary>How many times smaller than fp16 K and V a quantized token is.</summary>
    public double RatioVsFp16 => Fp16BytesPerToken / BytesPerToken;
}
