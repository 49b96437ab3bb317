namespace PrivateInference.Engine.Models;

/// <summary>
/// Variants of a real model with larger activations, for testing that private runs cover them (or refuse them): the
/// residual stream scaled (token embeddings and the two projections that write into it, Wo and W2, by one factor, so
/// Σx² before every RMSNorm grows with its square while each norm's output, and so the text, stays the same), and the
/// query and key projections scaled (attention scores grow with the product of the two factors).
/// </summary>
public static class ModelVariants
{
    /// <summary>A copy of <paramref name="w"/> with the residual stream × <paramref name="residualScale"/> (embeddings, Wo
    /// and W2; the classifier too when it is shared with the embeddings, which scales the logits alike) and Wq, Wk ×
    /// √<paramref name="scoreScale"/> each, so scores grow by scoreScale.</summary>
    public static LlamaWeights Scaled(LlamaWeights w, float residualScale, float scoreScale)
    {
        if (!(residualScale > 0) || !(scoreScale > 0)) throw new ArgumentOutOfRangeException(nameof(residualScale), "scales must be positive");
        float qk = MathF.Sqrt(scoreScale);
        static float[] Times(float[] a, float s) => a.Select(v => v * s).ToArray();
        var embedding = Times(w.TokenEmbedding, residualScale);
        return new LlamaWeights
        {
            Config = w.Config,
            TokenEmbedding = embedding,
            RmsAtt = w.RmsAtt, Wq = Times(w.Wq, qk), Wk = Times(w.Wk, qk), Wv = w.Wv, Wo = Times(w.Wo, residualScale),
            RmsFfn = w.RmsFfn, W1 = w.W1, W2 = Times(w.W2, residualScale), W3 = w.W3, RmsFinal = w.RmsFinal,
            Classifier = w.Config.SharedClassifier ? embedding : w.Classifier,
        };
    }
}
