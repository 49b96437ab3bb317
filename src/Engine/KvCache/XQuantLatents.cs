using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>The per-layer SVD latents of Wk and Wv, computed once per model and shared by every cache built from it.</summary>
public sealed class XQuantLatents
{
    private XQuantLatents(LatentProjection[] keys, LatentProjection[] values)
    {
        Keys = keys;
        Values = values;
    }

    public IReadOnlyList<LatentProjection> Keys { get; }
    public IReadOnlyList<LatentProjection> Values { get; }

    public static XQuantLatents Of(LlamaWeights weights)
    {
        var c = weights.Config;
        var keys = new LatentProjection[c.Layers];
        var values = new LatentProjection[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            keys[l] = LatentProjection.Of(weights.Layer(weights.Wk, l, c.KvDim, c.Dim), c.KvDim, c.Dim);
            values[l] = LatentProjection.Of(weights.Layer(weights.Wv, l, c.KvDim, c.Dim), c.KvDim, c.Dim);
        }
        return new XQuantLatents(keys, values);
    }
}
