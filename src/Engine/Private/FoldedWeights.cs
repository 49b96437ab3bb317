using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Private;

/// <summary>
/// The weights as the model owner prepares them before sharing, in plaintext and only at the owner: each RMSNorm
/// gain and the constant √d of the norm are folded into the matrix that consumes the normalized vector, 1/√head_size
/// into Wq, Q/K/V and W1/W3 are concatenated (one product each), and every matrix is stored [in][out] so that
/// activations [T, in] multiply it directly. The private forward then needs no product with a gain, no division by
/// d and no score scaling: every one of those would cost a truncation round on shares.
/// </summary>
public sealed class FoldedWeights
{
    public required LlamaConfig Config { get; init; }
    public required float[] Embedding { get; init; }      // [vocab][dim]
    public required float[][] Wqkv { get; init; }         // [layer]: [dim][dim + 2 kv_dim]
    public required float[][] Wo { get; init; }           // [layer]: [dim][dim]
    public required float[][] W13 { get; init; }          // [layer]: [dim][2 hidden]
    public required float[][] W2 { get; init; }           // [layer]: [hidden][dim]
    public required float[] Classifier { get; init; }     // [dim][vocab]

    private NonlinearDomains? _domains;

    /// <summary>The private softmax's and SiLU's domains these weights allow (<see cref="NonlinearDomains.Of"/>),
    /// computed once: the session arguments, the owner's hash check and the description all ask for them.</summary>
    public NonlinearDomains Domains => _domains ??= NonlinearDomains.Of(this);

    /// <summary>RMSNorm on shares computes x · rsqrt(Σx² + d·eps); the √d this drops is in the folded gains.</summary>
    public float NormEpsilon => Config.Dim * Config.RmsEps;

    public static FoldedWeights Fold(LlamaWeights w)
    {
        var c = w.Config;
        int d = c.Dim, kv = c.KvDim, h = c.HiddenDim;
        float sqrtD = MathF.Sqrt(d), qScale = 1f / MathF.Sqrt(c.HeadSize);
        var wqkv = new float[c.Layers][];
        var wo = new float[c.Layers][];
        var w13 = new float[c.Layers][];
        var w2 = new float[c.Layers][];
        for (int l = 0; l < c.Layers; l++)
        {
            var gAtt = w.LayerVector(w.RmsAtt, l, d).ToArray();
            var gFfn = w.LayerVector(w.RmsFfn, l, d).ToArray();
            wqkv[l] = new float[d * (d + 2 * kv)];
            PutTransposed(w.Layer(w.Wq, l, d, d), d, d, gAtt, sqrtD * qScale, wqkv[l], d + 2 * kv, 0);
            PutTransposed(w.Layer(w.Wk, l, kv, d), kv, d, gAtt, sqrtD, wqkv[l], d + 2 * kv, d);
            PutTransposed(w.Layer(w.Wv, l, kv, d), kv, d, gAtt, sqrtD, wqkv[l], d + 2 * kv, d + kv);
            wo[l] = new float[d * d];
            PutTransposed(w.Layer(w.Wo, l, d, d), d, d, null, 1f, wo[l], d, 0);
            w13[l] = new float[d * 2 * h];
            PutTransposed(w.Layer(w.W1, l, h, d), h, d, gFfn, sqrtD, w13[l], 2 * h, 0);
            PutTransposed(w.Layer(w.W3, l, h, d), h, d, gFfn, sqrtD, w13[l], 2 * h, h);
            w2[l] = new float[h * d];
            PutTransposed(w.Layer(w.W2, l, d, h), d, h, null, 1f, w2[l], d, 0);
        }
        var cls = new float[d * c.VocabSize];
        PutTransposed(w.Classifier, c.VocabSize, d, w.RmsFinal, sqrtD, cls, c.VocabSize, 0);
        return new FoldedWeights
        {
            Config = c, Embedding = w.TokenEmbedding, Wqkv = wqkv, Wo = wo, W13 = w13, W2 = w2, Classifier = cls,
        };
    }

    /// <summary>dst[i][offset + o] = src[o][i] · gain[i] · scale, with dst rows of width <paramref name="dstCols"/>.</summary>
    private static void PutTransposed(ReadOnlySpan<float> src, int outs, int ins, float[]? gain, float scale, float[] dst, int dstCols, int offset)
    {
        for (int o = 0; o < outs; o++)
            for (int i = 0; i < ins; i++)
                dst[i * dstCols + offset + o] = src[o * ins + i] * (gain?[i] ?? 1f) * scale;
    }
}
