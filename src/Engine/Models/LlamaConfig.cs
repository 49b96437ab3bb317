namespace PrivateInference.Engine.Models;

/// <summary>Shape of a Llama-architecture model (llama2.c header fields plus the two constants HF configs carry).</summary>
public sealed record LlamaConfig(
    int Dim,
    int HiddenDim,
    int Layers,
    int Heads,
    int KvHeads,
    int VocabSize,
    int SeqLen,
    bool SharedClassifier = true,
    float RmsEps = 1e-5f,
    float RopeTheta = 10000f)
{
    public int HeadSize => Dim / Heads;
    public int KvDim => KvHeads * HeadSize;
    /// <summary>Query heads per KV head (grouped-query attention).</summary>
    public int KvGroup => Heads / KvHeads;

    /// <summary>Throws <see cref="InputException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (Dim <= 0 || HiddenDim <= 0 || Layers <= 0 || Heads <= 0 || KvHeads <= 0 || VocabSize <= 0 || SeqLen <= 0)
            throw new InputException($"model header has a non-positive size: {this}");
        if (Dim % Heads != 0)
            throw new InputException($"model header: dim {Dim} is not a multiple of n_heads {Heads}");
        if (Heads % KvHeads != 0)
            throw new InputException($"model header: n_heads {Heads} is not a multiple of n_kv_heads {KvHeads}");
        if (HeadSize % 2 != 0)
            throw new InputException($"model header: head size {HeadSize} is odd; RoPE needs pairs");
    }

    /// <summary>Number of float parameters the weights hold (classifier counted only when separate).</summary>
    public long ParameterCount => checked(
        (long)VocabSize * Dim
        + (long)Layers * (2L * Dim + (long)Dim * Dim * 2 + 2L * KvDim * Dim + 3L * HiddenDim * Dim)
        + Dim
        + (SharedClassifier ? 0 : (long)VocabSize * Dim));
}
