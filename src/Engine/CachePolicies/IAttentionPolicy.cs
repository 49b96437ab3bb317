namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Chooses which cached positions each KV head attends to (all of them, or a selection such as MPCache's), and may
/// watch the resulting attention probabilities (static eviction scores them).
/// </summary>
public interface IAttentionPolicy
{
    /// <summary>Called once per layer and position, after the new key and value are cached.
    /// <paramref name="queries"/> is [heads][head_size] after RoPE; <paramref name="keys"/> is [pos+1][kv_dim].</summary>
    void BeginLayer(int layer, int pos, ReadOnlySpan<float> queries, ReadOnlySpan<float> keys);

    /// <summary>Cache positions, ascending, that the query heads of <paramref name="kvHead"/> attend to.</summary>
    ReadOnlySpan<int> AttendedPositions(int kvHead);

    /// <summary>Attention probabilities of query head <paramref name="head"/>, aligned with its attended positions.</summary>
    void ObserveAttention(int layer, int pos, int head, ReadOnlySpan<float> probabilities);
}
