namespace PrivateInference.Engine.KvCache;

/// <summary>
/// Where the plaintext engine keeps attention state between positions. Implementations may keep K and V as given
/// (full precision) or keep something smaller and rebuild K and V on demand (quantized KV, XQuant's X cache).
/// </summary>
public interface IKvCache
{
    /// <summary>Records position <paramref name="pos"/> of <paramref name="layer"/>: the residual stream entering the
    /// layer (before RMSNorm; XQuant-CL caches its cross-layer deltas), the attention input after RMSNorm, and the key
    /// (after RoPE) and value computed from it.</summary>
    void Store(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value);

    /// <summary>Keys of positions [0, length) as [length][kv_dim], RoPE applied. The span may be overwritten by the next
    /// call for another layer (a rematerializing cache rebuilds into one buffer).</summary>
    ReadOnlySpan<float> Keys(int layer, int length);

    /// <summary>Values of positions [0, length) as [length][kv_dim].</summary>
    ReadOnlySpan<float> Values(int layer, int length);
}
