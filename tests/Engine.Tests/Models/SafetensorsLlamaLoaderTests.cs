using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Tests.Models;

public sealed class SafetensorsLlamaLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pi-st").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes <paramref name="w"/> the way Hugging Face stores a Llama: HF names, rotate_half row order for
    /// wq/wk, one dtype for all tensors, and config.json beside it.</summary>
    private string WriteHf(LlamaWeights w, string dtype, bool includeConfig = true, string? skipTensor = null)
    {
        var c = w.Config;
        var tensors = new List<(string Name, long[] Shape, float[] Data)>
        {
            ("model.embed_tokens.weight", [c.VocabSize, c.Dim], w.TokenEmbedding),
            ("model.norm.weight", [c.Dim], w.RmsFinal),
        };
        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            var q = new float[c.Dim * c.Dim];
            SafetensorsLlamaLoader.PermuteRotaryRows(w.Layer(w.Wq, l, c.Dim, c.Dim), c.Heads, c.Dim, q);
            var k = new float[c.KvDim * c.Dim];
            SafetensorsLlamaLoader.PermuteRotaryRows(w.Layer(w.Wk, l, c.KvDim, c.Dim), c.KvHeads, c.Dim, k);
            tensors.Add((p + "input_layernorm.weight", [c.Dim], w.LayerVector(w.RmsAtt, l, c.Dim).ToArray()));
            tensors.Add((p + "self_attn.q_proj.weight", [c.Dim, c.Dim], q));
            tensors.Add((p + "self_attn.k_proj.weight", [c.KvDim, c.Dim], k));
            tensors.Add((p + "self_attn.v_proj.weight", [c.KvDim, c.Dim], w.Layer(w.Wv, l, c.KvDim, c.Dim).ToArray()));
            tensors.Add((p + "self_attn.o_proj.weight", [c.Dim, c.Dim], w.Layer(w.Wo, l, c.Dim, c.Dim).ToArray()));
            tensors.Add((p + "post_attention_layernorm.weight", [c.Dim], w.LayerVector(w.RmsFfn, l, c.Dim).ToArray()));
            tensors.Add((p + "mlp.gate_proj.weight", [c.HiddenDim, c.Dim], w.Layer(w.W1, l, c.HiddenDim, c.Dim).ToArray()));
            tensors.Add((p + "mlp.down_proj.weight", [c.Dim, c.HiddenDim], w.Layer(w.W2, l, c.Dim, c.HiddenDim).ToArray()));
            tensors.Add((p + "mlp.up_proj.weight", [c.HiddenDim, c.Dim], w.Layer(w.W3, l, c.HiddenDim, c.Dim).ToArray()));
        }
        if (!c.SharedClassifier) tensors.Add(("lm_head.weight", [c.VocabSize, c.Dim], w.Classifier));
        tensors.RemoveAll(t => t.Name == skipTensor);

        int size = dtype == "F32" ? 4 : 2;
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var data = new MemoryStream();
        foreach (var (name, shape, values) in tensors)
        {
            long begin = data.Length;
            var buf = new byte[values.Length * size];
            for (int i = 0; i < values.Length; i++)
            {
                if (dtype == "F32") BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(i * 4), values[i]);
                else if (dtype == "F16") BinaryPrimitives.WriteHalfLittleEndian(buf.AsSpan(i * 2), (Half)values[i]);
                else BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(i * 2), (ushort)(BitConverter.SingleToInt32Bits(values[i]) >> 16));
            }
            data.Write(buf);
            header[name] = new { dtype, shape, data_offsets = new[] { begin, data.Length } };
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var path = Path.Combine(_dir, "model.safetensors");
        using (var f = File.Create(path))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
            f.Write(len);
            f.Write(json);
            f.Write(data.ToArray());
        }
        if (includeConfig)
            File.WriteAllText(Path.Combine(_dir, "config.json"), JsonSerializer.Serialize(new
            {
                hidden_size = c.Dim, intermediate_size = c.HiddenDim, num_hidden_layers = c.Layers,
                num_attention_heads = c.Heads, num_key_value_heads = c.KvHeads, vocab_size = c.VocabSize,
                max_position_embeddings = c.SeqLen, rms_norm_eps = 1e-5, rope_theta = 10000.0, tie_word_embeddings = c.SharedClassifier,
            }));
        return path;
    }

    [Fact]
    public void F32FileLoadsToTheSameWeightsWithRotaryRowsRestored()
    {
        var original = TinyModels.Random(TinyModels.Gqa with { SharedClassifier = false }, seed: 11);
        var loaded = SafetensorsLlamaLoader.Load(WriteHf(original, "F32"));
        Assert.Equal(original.Config, loaded.Config);
        foreach (var ((name, a), (_, b)) in original.TensorsInFileOrder().Zip(loaded.TensorsInFileOrder()))
            Assert.True(a.AsSpan().SequenceEqual(b), name);
        Assert.Equal(original.Classifier, loaded.Classifier);
    }

    [Fact]
    public void LoadedModelComputesTheSameLogits()
    {
        var original = TinyModels.Random(TinyModels.Gqa, seed: 12);
        var loaded = ModelLoader.Load(WriteHf(original, "F32"));
        var a = new PlainTransformer(original);
        var b = new PlainTransformer(loaded);
        for (int pos = 0; pos < 5; pos++)
            Assert.Equal(a.Forward(pos + 1, pos).ToArray(), b.Forward(pos + 1, pos).ToArray());
    }

    [Theory]
    [InlineData("F16", 1e-3)]
    [InlineData("BF16", 8e-3)]
    public void HalfPrecisionFilesLoadWithinTheirRounding(string dtype, double relative)
    {
        var original = TinyModels.Random(TinyModels.Gqa, seed: 13);
        var loaded = SafetensorsLlamaLoader.Load(WriteHf(original, dtype));
        for (int i = 0; i < original.W1.Length; i++)
            Assert.InRange(loaded.W1[i], original.W1[i] - relative * Math.Abs(original.W1[i]) - 1e-7, original.W1[i] + relative * Math.Abs(original.W1[i]) + 1e-7);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        var path = WriteHf(TinyModels.Random(TinyModels.Gqa, 1), "F32", skipTensor: "model.layers.1.mlp.up_proj.weight");
        Assert.Contains("model.layers.1.mlp.up_proj.weight", Assert.Throws<InputException>(() => SafetensorsLlamaLoader.Load(path)).Message);
    }

    [Fact]
    public void MissingConfigIsAnInputError()
    {
        var path = WriteHf(TinyModels.Random(TinyModels.Gqa, 1), "F32", includeConfig: false);
        Assert.Contains("config.json", Assert.Throws<InputException>(() => SafetensorsLlamaLoader.Load(path)).Message);
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        var path = WriteHf(TinyModels.Random(TinyModels.Gqa, 1), "F32");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^16]);
        Assert.Throws<InputException>(() => SafetensorsLlamaLoader.Load(path));
    }
}
