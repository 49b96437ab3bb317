using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace PrivateInference.Engine.Models;

/// <summary>
/// llama2.c checkpoint format: 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
/// seq_len), then float32 tensors in <see cref="LlamaWeights.TensorsInFileOrder"/>, the two unused RoPE tables, and
/// the classifier only when vocab_size is negative.
/// </summary>
public static class Llama2cCheckpoint
{
    public const int HeaderBytes = 7 * sizeof(int);

    public static LlamaWeights Load(string path)
    {
        if (!File.Exists(path))
            throw new InputException($"model file not found: {path}");
        using var stream = File.OpenRead(path);
        long fileBytes = stream.Length;
        if (fileBytes < HeaderBytes)
            throw new InputException($"model file {path} is truncated: {fileBytes} bytes, shorter than the 28-byte header");

        Span<byte> header = stackalloc byte[HeaderBytes];
        stream.ReadExactly(header);
        var config = ParseHeader(header, path);
        long expected;
        try { expected = checked(ExpectedFileBytes(config)); }
        catch (OverflowException) { throw new InputException($"model file {path} is corrupt: its header sizes overflow"); }
        if (fileBytes != expected)
            throw new InputException(
                $"model file {path} is {fileBytes} bytes but its header (dim {config.Dim}, hidden {config.HiddenDim}, " +
                $"layers {config.Layers}, heads {config.Heads}, kv_heads {config.KvHeads}, vocab {config.VocabSize}, " +
                $"seq_len {config.SeqLen}) implies {expected} bytes: truncated or not a llama2.c checkpoint");

        var weights = LlamaWeights.Allocate(config);
        foreach (var (name, data) in weights.TensorsInFileOrder())
            ReadTensor(stream, data, name, path);
        // RoPE tables: run.c computes the rotation itself, so they are skipped, as there.
        stream.Seek((long)config.SeqLen * config.HeadSize * sizeof(float), SeekOrigin.Current);
        if (!config.SharedClassifier)
            ReadTensor(stream, weights.Classifier, "wcls", path);
        return weights;
    }

    public static LlamaConfig ParseHeader(ReadOnlySpan<byte> header, string path)
    {
        var f = new int[7];
        for (int i = 0; i < 7; i++) f[i] = BinaryPrimitives.ReadInt32LittleEndian(header.Slice(i * 4, 4));
        if (f[5] == int.MinValue)
            throw new InputException($"model file {path} is corrupt: vocab_size {f[5]}");
        var config = new LlamaConfig(f[0], f[1], f[2], f[3], f[4], Math.Abs(f[5]), f[6], SharedClassifier: f[5] > 0);
        try { config.Validate(); }
        catch (InputException e) { throw new InputException($"model file {path} is corrupt: {e.Message}"); }
        return config;
    }

    public static long ExpectedFileBytes(LlamaConfig c) =>
        checked(HeaderBytes + sizeof(float) * (c.ParameterCount + (long)c.SeqLen * c.HeadSize));

    /// <summary>Writes a checkpoint (tests and synthetic models use it; RoPE tables are written as run.c's export does).</summary>
    public static void Save(LlamaWeights w, string path)
    {
        var c = w.Config;
        using var stream = File.Create(path);
        Span<byte> header = stackalloc byte[HeaderBytes];
        int[] fields = [c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.SharedClassifier ? c.VocabSize : -c.VocabSize, c.SeqLen];
        for (int i = 0; i < fields.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(header.Slice(i * 4), fields[i]);
        stream.Write(header);
        foreach (var (_, data) in w.TensorsInFileOrder())
            stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
        int half = c.HeadSize / 2;
        var real = new float[c.SeqLen * half];
        var imag = new float[c.SeqLen * half];
        for (int pos = 0; pos < c.SeqLen; pos++)
            for (int i = 0; i < half; i++)
            {
                double freq = Math.Pow(c.RopeTheta, -(2.0 * i) / c.HeadSize);
                real[pos * half + i] = (float)Math.Cos(pos * freq);
                imag[pos * half + i] = (float)Math.Sin(pos * freq);
            }
        stream.Write(MemoryMarshal.AsBytes(real.AsSpan()));
        stream.Write(MemoryMarshal.AsBytes(imag.AsSpan()));
        if (!c.SharedClassifier)
            stream.Write(MemoryMarshal.AsBytes(w.Classifier.AsSpan()));
    }

    private static void ReadTensor(Stream stream, float[] data, string name, string path)
    {
        var bytes = MemoryMarshal.AsBytes(data.AsSpan());
        // Chunked because one Read call is capped at 2 GiB and a span over a large array may exceed it.
        const int chunk = 1 << 28;
        for (int off = 0; off < bytes.Length; off += chunk)
            stream.ReadExactly(bytes.Slice(off, Math.Min(chunk, bytes.Length - off)));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("llama2.c checkpoints are little-endian");
        if (!float.IsFinite(TensorPrimitives.Sum(data)) && data.Any(v => !float.IsFinite(v)))
            throw new InputException($"model file {path} is corrupt: tensor {name} holds a NaN or infinite value");
    }
}
