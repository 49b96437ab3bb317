using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Models;

/// <summary>Small models with seeded random weights for tests.</summary>
public static class TinyModels
{
    public static LlamaWeights Random(LlamaConfig config, int seed)
    {
        var w = LlamaWeights.Allocate(config);
        var rng = new Random(seed);
        foreach (var (_, data) in w.TensorsInFileOrder())
            for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        if (!config.SharedClassifier)
            for (int i = 0; i < w.Classifier.Length; i++) w.Classifier[i] = (float)(rng.NextDouble() * 2 - 1);
        return w;
    }

    public static readonly LlamaConfig Gqa = new(Dim: 8, HiddenDim: 12, Layers: 2, Heads: 4, KvHeads: 2, VocabSize: 10, SeqLen: 16);
}
