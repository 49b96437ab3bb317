using System.Buffers.Binary;
using System.Text.Json;

namespace PrivateInference.Engine.Models;

/// <summary>
/// Hugging Face Llama checkpoints: a `.safetensors` file (u64 header length, JSON header, raw tensors) with the
/// standard tensor names, F32/F16/BF16, and its `config.json` beside it. HF stores wq and wk with each head's rotary
/// pairs split into halves (rotate_half RoPE); they are permuted back to llama2.c's adjacent pairs on load.
/// </summary>
public static class SafetensorsLlamaLoader
{
    public static LlamaWeights Load(string path, string? configPath = null)
    {
        configPath ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "config.json");
        var config = ReadConfig(configPath, path);
        var file = SafetensorsFile.Open(path);
        var w = LlamaWeights.Allocate(config);
        int d = config.Dim, kv = config.KvDim, hid = config.HiddenDim;

        file.ReadInto("model.embed_tokens.weight", [config.VocabSize, d], w.TokenEmbedding);
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            file.ReadInto(p + "input_layernorm.weight", [d], w.RmsAtt.AsSpan(l * d, d));
            var q = new float[d * d];
            file.ReadInto(p + "self_attn.q_proj.weight", [d, d], q);
            UnpermuteRotaryRows(q, config.Heads, d, w.Wq.AsSpan(l * d * d, d * d));
            var k = new float[kv * d];
            file.ReadInto(p + "self_attn.k_proj.weight", [kv, d], k);
            UnpermuteRotaryRows(k, config.KvHeads, d, w.Wk.AsSpan(l * kv * d, kv * d));
            file.ReadInto(p + "self_attn.v_proj.weight", [kv, d], w.Wv.AsSpan(l * kv * d, kv * d));
            file.ReadInto(p + "self_attn.o_proj.weight", [d, d], w.Wo.AsSpan(l * d * d, d * d));
            file.ReadInto(p + "post_attention_layernorm.weight", [d], w.RmsFfn.AsSpan(l * d, d));
            file.ReadInto(p + "mlp.gate_proj.weight", [hid, d], w.W1.AsSpan(l * hid * d, hid * d));
            file.ReadInto(p + "mlp.down_proj.weight", [d, hid], w.W2.AsSpan(l * d * hid, d * hid));
            file.ReadInto(p + "mlp.up_proj.weight", [hid, d], w.W3.AsSpan(l * hid * d, hid * d));
        }
        file.ReadInto("model.norm.weight", [d], w.RmsFinal);
        if (!config.SharedClassifier)
            file.ReadInto("lm_head.weight", [config.VocabSize, d], w.Classifier);
        return w;
    }

    /// <summary>HF row (head h, half p, index i) holds llama2.c row (head h, 2i + p).</summary>
    public static void UnpermuteRotaryRows(ReadOnlySpan<float> hf, int heads, int cols, Span<float> interleaved)
    {
        int rows = hf.Length / cols, headSize = rows / heads, half = headSize / 2;
        for (int h = 0; h < heads; h++)
            for (int p = 0; p < 2; p++)
                for (int i = 0; i < half; i++)
                    hf.Slice((h * headSize + p * half + i) * cols, cols)
                      .CopyTo(interleaved.Slice((h * headSize + 2 * i + p) * cols, cols));
    }

    /// <summary>The inverse of <see cref="UnpermuteRotaryRows"/> (used to write HF-layout files).</summary>
    public static void PermuteRotaryRows(ReadOnlySpan<float> interleaved, int heads, int cols, Span<float> hf)
    {
        int rows = interleaved.Length / cols, headSize = rows / heads, half = headSize / 2;
        for (int h = 0; h < heads; h++)
            for (int p = 0; p < 2; p++)
                for (int i = 0; i < half; i++)
                    interleaved.Slice((h * headSize + 2 * i + p) * cols, cols)
                               .CopyTo(hf.Slice((h * headSize + p * half + i) * cols, cols));
    }

    private static LlamaConfig ReadConfig(string configPath, string modelPath)
    {
        if (!File.Exists(configPath))
            throw new InputException($"{Path.GetFileName(modelPath)} needs its config.json beside it (looked at {configPath})");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            var r = doc.RootElement;
            int Int(string name) => r.TryGetProperty(name, out var v) ? v.GetInt32()
                : throw new InputException($"{configPath} lacks \"{name}\"");
            int heads = Int("num_attention_heads");
            var config = new LlamaConfig(
                Int("hidden_size"), Int("intermediate_size"), Int("num_hidden_layers"), heads,
                r.TryGetProperty("num_key_value_heads", out var kvh) ? kvh.GetInt32() : heads,
                Int("vocab_size"),
                r.TryGetProperty("max_position_embeddings", out var mpe) ? mpe.GetInt32() : 2048,
                SharedClassifier: r.TryGetProperty("tie_word_embeddings", out var tie) && tie.GetBoolean(),
                RmsEps: r.TryGetProperty("rms_norm_eps", out var eps) ? eps.GetSingle() : 1e-5f,
                RopeTheta: r.TryGetProperty("rope_theta", out var theta) ? theta.GetSingle() : 10000f);
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InputException($"{configPath} is not a valid Llama config.json: {e.Message}");
        }
    }
}

/// <summary>One open safetensors file: its header parsed, tensors read on demand and converted to float32.</summary>
internal sealed class SafetensorsFile
{
    private readonly string _path;
    private readonly long _dataStart;
    private readonly Dictionary<string, (string Dtype, long[] Shape, long Begin, long End)> _tensors = new();

    private SafetensorsFile(string path, long dataStart) { _path = path; _dataStart = dataStart; }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new InputException($"model file not found: {path}");
        using var s = File.OpenRead(path);
        Span<byte> len = stackalloc byte[8];
        if (s.Length < 8) throw new InputException($"{path} is truncated: no safetensors header");
        s.ReadExactly(len);
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLen > 100_000_000 || 8 + (long)headerLen > s.Length)
            throw new InputException($"{path} is corrupt: safetensors header length {headerLen}");
        var header = new byte[headerLen];
        s.ReadExactly(header);
        var file = new SafetensorsFile(path, 8 + (long)headerLen);
        try
        {
            using var doc = JsonDocument.Parse(header);
            foreach (var t in doc.RootElement.EnumerateObject())
            {
                if (t.Name == "__metadata__") continue;
                var shape = t.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                var offsets = t.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                file._tensors[t.Name] = (t.Value.GetProperty("dtype").GetString()!, shape, offsets[0], offsets[1]);
                if (offsets[1] < offsets[0] || file._dataStart + offsets[1] > s.Length)
                    throw new InputException($"{path} is truncated or corrupt: tensor {t.Name} lies outside the file");
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new InputException($"{path} has a malformed safetensors header: {e.Message}");
        }
        return file;
    }

    public void ReadInto(string name, long[] expectedShape, Span<float> destination)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new InputException($"{_path} lacks tensor {name}");
        if (!t.Shape.SequenceEqual(expectedShape))
            throw new InputException($"{_path}: tensor {name} has shape [{string.Join(",", t.Shape)}], config implies [{string.Join(",", expectedShape)}]");
        int elementBytes = t.Dtype switch
        {
            "F32" => 4, "F16" or "BF16" => 2,
            _ => throw new InputException($"{_path}: tensor {name} has dtype {t.Dtype}; supported: F32, F16, BF16"),
        };
        long count = destination.Length;
        if (t.End - t.Begin != count * elementBytes)
            throw new InputException($"{_path}: tensor {name} holds {t.End - t.Begin} bytes, expected {count * elementBytes}");
        var raw = new byte[t.End - t.Begin];
        using (var s = File.OpenRead(_path))
        {
            s.Seek(_dataStart + t.Begin, SeekOrigin.Begin);
            s.ReadExactly(raw);
        }
        for (int i = 0; i < count; i++)
            destination[i] = t.Dtype switch
            {
                "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw.AsSpan(i * 4)),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw.AsSpan(i * 2)),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2)) << 16),
            };
    }
}
