using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Private;

/// <summary>
/// The KV cache on shares, the private counterpart of the plaintext engine's <see cref="KvCache.IKvCache"/> and
/// <see cref="IAttentionPolicy"/> together: per layer, keys and values [kv_heads, S, head_size] as growing matrices
/// (in 2pc each row's Beaver mask is opened once, when appended, so the products with the whole cache at every step
/// open only their other operand), and the policy seam: at the end of the prefill the policy may compact the cache
/// (static eviction), and at each decode step it chooses what the query attends to (a secret selection of public
/// size).
/// </summary>
public sealed class PrivateKvCache(MpcContext ctx, LlamaConfig config, PrivateCachePolicy? policy = null)
{
    private readonly GrowingMatrix?[] _keys = new GrowingMatrix?[config.Layers];
    private readonly GrowingMatrix?[] _values = new GrowingMatrix?[config.Layers];

    /// <summary>Appends the new positions' keys and values [kv_heads, T, head_size] of <paramref name="layer"/>
    /// (together: in 2pc their new rows' masks are opened in one round).</summary>
    public void Append(int layer, SecretTensor keys, SecretTensor values) =>
        (_keys[layer], _values[layer]) = Grow(_keys[layer], _values[layer], keys, values);

    /// <summary>Benchmark set-up only: the cache of every layer holds the given keys and values.</summary>
    public void Fill(IReadOnlyList<SecretTensor> keys, IReadOnlyList<SecretTensor> values)
    {
        for (int l = 0; l < config.Layers; l++)
        {
            using var roles = PrivateTransformer.LayerRoles(ctx, l, config.Layers);
            (_keys[l], _values[l]) = Grow(null, null, keys[l], values[l]);
        }
    }

    /// <summary>Attention of the queries [kv_heads, G·T, head_size] of positions start..start+T−1 over the cache (which
    /// already holds them): causal over everything during the prompt (then the policy may compact the cache), over
    /// the policy's selection one token at a time after it. Returns [kv_heads, G·T, head_size].</summary>
    public SecretTensor Attend(int layer, SecretTensor queries, int start, int t)
    {
        GrowingMatrix keys = _keys[layer] ?? throw new InvalidOperationException("nothing was appended to this layer"), values = _values[layer]!;
        if (policy is not null && start >= policy.PromptLength)
        {
            if (t != 1) throw new InvalidOperationException("with a cache policy, tokens after the prompt run one at a time");
            // Everything in the cache lies in this position's past. The scores of every cached token come first (the
            // slots static eviction by threshold dropped masked in them, locally): the selection carries the selected
            // ones through its tournaments, so the attention needs no gather product of its own.
            var all = policy.MaskDropped(layer, ctx.MatMul(queries, keys, transposeB: true, truncate: !UntruncatedProducts.Allowed(ctx)));
            return policy.Select(layer, queries, keys.Value, all) is { } selected
                ? SelectedAttention(all, values, selected)
                : ctx.SoftmaxTimes(all, values);
        }
        int g = config.KvGroup;
        var mask = CausalMask(g, t, start, start + t);
        int[] maskShape = [1, g * t, keys.Value.Shape[1]];
        // Scores at 2f where that fits: softmax folds their truncation into its first product. The masked ones are
        // never used (softmax masks them first), so the helper deals nothing for them.
        var masked = new bool[config.KvHeads * g * t * keys.Value.Shape[1]];
        for (int i = 0; i < masked.Length; i++) masked[i] = !mask[i % mask.Length];
        var scores = ctx.MatMul(queries, keys, transposeB: true, truncate: !UntruncatedProducts.Allowed(ctx), discard: Array.IndexOf(masked, true) >= 0 ? masked : null);  // [kvh, G·T, S]
        if (policy is null || start != 0 || t != policy.PromptLength)
            return ctx.SoftmaxTimes(scores, values, mask, maskShape);                // [kvh, G·T, hs]
        // The policy reads the prompt's probabilities (static eviction's attention scores).
        var probs = ctx.Softmax(scores, mask, maskShape);
        var heads = ctx.MatMul(probs, values);
        // The compacted cache is a new matrix: its rows' masks are opened once, here.
        var (kept, keptValues) = policy.AfterPrefill(layer, probs, keys.Value, values.Value);
        if (!ReferenceEquals(kept, keys.Value)) (_keys[layer], _values[layer]) = Grow(null, null, kept, keptValues);
        return heads;
    }

    /// <summary>Attention over the selected tokens only: scores of all cached tokens (at double scale where that fits,
    /// truncating only the selected ones, inside softmax), gathered; the exponentials scattered back to their
    /// positions for e·V, each row then times its reciprocal (softmax's last product on the outputs).</summary>
    private SecretTensor SelectedAttention(SecretTensor all, GrowingMatrix values, SelectedClusters selected)
    {
        var scores = selected.Gather(ctx, all);                                                            // [kvh, G, m]
        return ctx.SoftmaxThen(scores, e => ctx.MatMul(selected.Scatter(ctx, e), values, truncate: false), selected.Valid(), [1, 1, selected.Tokens]);
    }

    private (GrowingMatrix Keys, GrowingMatrix Values) Grow(GrowingMatrix? keys, GrowingMatrix? values, SecretTensor newKeys, SecretTensor newValues)
    {
        var grown = ctx.Grow([keys, values], [newKeys, newValues]);
        return (grown[0], grown[1]);
    }

    /// <summary>Row (j, i) of group query j at position start+i may see cache positions ≤ start+i; public.</summary>
    private static bool[] CausalMask(int g, int t, int start, int s)
    {
        var valid = new bool[g * t * s];
        for (int j = 0; j < g; j++)
            for (int i = 0; i < t; i++)
                for (int p = 0; p <= start + i; p++) valid[((j * t) + i) * s + p] = true;
        return valid;
    }
}
