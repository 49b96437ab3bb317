namespace PrivateInference.Engine.Models;

/// <summary>
/// All weights of a Llama model in llama2.c's layout: per-layer matrices are row-major [out][in] and
/// stacked over layers in one array, so layer l of wq starts at l·dim·dim.
/// </summary>
public sealed class LlamaWeights
{
    public required LlamaConfig Config { get; init; }
    public required float[] TokenEmbedding { get; init; } // [vocab][dim]
    public required float[] RmsAtt { get; init; }         // [layers][dim]
    public required float[] Wq { get; init; }             // [layers][dim][dim]
    public required float[] Wk { get; init; }             // [layers][kv_dim][dim]
    public required float[] Wv { get; init; }             // [layers][kv_dim][dim]
    public required float[] Wo { get; init; }             // [layers][dim][dim]
    public required float[] RmsFfn { get; init; }         // [layers][dim]
    public required float[] W1 { get; init; }             // [layers][hidden][dim]
    public required float[] W2 { get; init; }             // [layers][dim][hidden]
    public required float[] W3 { get; init; }             // [layers][hidden][dim]
    public required float[] RmsFinal { get; init; }       // [dim]
    public required float[] Classifier { get; init; }     // [vocab][dim]; the embedding itself when shared

    public ReadOnlySpan<float> Layer(float[] stacked, int layer, int rows, int cols) =>
        stacked.AsSpan((int)((long)layer * rows * cols), rows * cols);

    public ReadOnlySpan<float> LayerVector(float[] stacked, int layer, int length) =>
        stacked.AsSpan(layer * length, length);

    /// <summary>Fresh zeroed weights of the given shape (used by loaders and synthetic models).</summary>
    public static LlamaWeights Allocate(LlamaConfig c)
    {
        var embedding = new float[(long)c.VocabSize * c.Dim];
        return new LlamaWeights
        {
            Config = c,
            TokenEmbedding = embedding,
            RmsAtt = new float[c.Layers * c.Dim],
            Wq = new float[(long)c.Layers * c.Dim * c.Dim],
            Wk = new float[(long)c.Layers * c.KvDim * c.Dim],
            Wv = new float[(long)c.Layers * c.KvDim * c.Dim],
            Wo = new float[(long)c.Layers * c.Dim * c.Dim],
            RmsFfn = new float[c.Layers * c.Dim],
            W1 = new float[(long)c.Layers * c.HiddenDim * c.Dim],
            W2 = new float[(long)c.Layers * c.Dim * c.HiddenDim],
            W3 = new float[(long)c.Layers * c.HiddenDim * c.Dim],
            RmsFinal = new float[c.Dim],
            Classifier = c.SharedClassifier ? embedding : new float[(long)c.VocabSize * c.Dim],
        };
    }

    /// <summary>The tensors in llama2.c file order (the classifier last, only when separate).</summary>
    public IEnumerable<(string Name, float[] Data)> TensorsInFileOrder()
    {
        yield return ("token_embedding", TokenEmbedding);
        yield return ("rms_att", RmsAtt);
        yield return ("wq", Wq);
        yield return ("wk", Wk);
        yield return ("wv", Wv);
        yield return ("wo", Wo);
        yield return ("rms_ffn", RmsFfn);
        yield return ("w1", W1);
        yield return ("w2", W2);
        yield return ("w3", W3);
        yield return ("rms_final", RmsFinal);
    }
}
