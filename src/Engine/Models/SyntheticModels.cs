namespace PrivateInference.Engine.Models;

/// <summary>
/// Random-weight models of any shape, for cost benchmarks (MPC cost does not depend on weight values). Weights are
/// uniform with variance 1/fan_in so activations stay in the range a trained model produces; norms are 1.
/// </summary>
public static class SyntheticModels
{
    public static readonly IReadOnlyDictionary<string, LlamaConfig> Presets = new Dictionary<string, LlamaConfig>
    {
        ["stories260K"] = new(64, 172, 5, 8, 4, 512, 512),
        ["gpt2-small"] = new(768, 3072, 12, 12, 12, 50257, 16384),  // context 16384: rotary positions need no table, so the shape is measurable at long contexts
        // MPCache's efficiency model (its repository's infer/): one GPT-2-medium-width layer, 32 heads of 32, FFN 4096.
        ["mpcache-paper"] = new(1024, 4096, 1, 32, 32, 50257, 16384),
        ["llama-7b"] = new(4096, 11008, 32, 32, 32, 32000, 4096),
    };

    public static LlamaConfig Preset(string name, int? layers = null)
    {
        if (!Presets.TryGetValue(name, out var config))
            throw new InputException($"unknown preset '{name}'; known: {string.Join(", ", Presets.Keys)}");
        if (layers is { } n)
        {
            if (n < 1 || n > config.Layers)
                throw new InputException($"--layers must lie in 1..{config.Layers} for preset {name}, got {n}");
            config = config with { Layers = n };
        }
        return config;
    }

    /// <summary>A preset with any of its sizes replaced (a user's own shape, measured without writing a checkpoint):
    /// the layer count may then exceed the preset's.</summary>
    public static LlamaConfig Reshape(LlamaConfig config, int? dim = null, int? heads = null, int? kvHeads = null, int? hiddenDim = null,
        int? layers = null, int? seqLen = null)
    {
        int h = heads ?? config.Heads;
        var shaped = config with
        {
            Dim = dim ?? config.Dim,
            Heads = h,
            // Changing the head count alone keeps the model multi-head (or as grouped as before, when that still divides).
            KvHeads = kvHeads ?? (heads is null ? config.KvHeads : h * config.KvHeads / config.Heads is int k && k > 0 && h % k == 0 ? k : h),
            HiddenDim = hiddenDim ?? config.HiddenDim,
            Layers = layers ?? config.Layers,
            SeqLen = seqLen ?? config.SeqLen,
        };
        shaped.Validate();
        return shaped;
    }

    public static LlamaWeights Create(LlamaConfig config, int seed)
    {
        config.Validate();
        var w = LlamaWeights.Allocate(config);
        int d = config.Dim;
        Fill(w.TokenEmbedding, 1f, seed, 0);
        Array.Fill(w.RmsAtt, 1f);
        Array.Fill(w.RmsFfn, 1f);
        Array.Fill(w.RmsFinal, 1f);
        Fill(w.Wq, Bound(d), seed, 1);
        Fill(w.Wk, Bound(d), seed, 2);
        Fill(w.Wv, Bound(d), seed, 3);
        Fill(w.Wo, Bound(d), seed, 4);
        Fill(w.W1, Bound(d), seed, 5);
        Fill(w.W2, Bound(config.HiddenDim), seed, 6);
        Fill(w.W3, Bound(d), seed, 7);
        if (!config.SharedClassifier) Fill(w.Classifier, Bound(d), seed, 8);
        return w;
    }

    private static float Bound(int fanIn) => MathF.Sqrt(3f / fanIn);

    // Chunks get their own generator seeded from (seed, tensor, chunk), so filling is parallel and still deterministic
    // (HashCode.Combine would not do: it is randomized per process).
    private static void Fill(float[] data, float bound, int seed, int tensor)
    {
        const int chunk = 1 << 20;
        int chunks = (int)((data.LongLength + chunk - 1) / chunk);
        Parallel.For(0, chunks, c =>
        {
            var rng = new Random(unchecked(seed * 1_000_003 + tensor * 7_919 + c * 31));
            int end = (int)Math.Min(data.LongLength, (long)(c + 1) * chunk);
            for (int i = c * chunk; i < end; i++)
                data[i] = (rng.NextSingle() * 2f - 1f) * bound;
        });
    }
}
