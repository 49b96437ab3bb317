using System.Buffers.Binary;
using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Models;

public sealed class Llama2cCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pi-ckpt").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SaveTiny(LlamaConfig config, out LlamaWeights weights)
    {
        weights = TinyModels.Random(config, seed: 3);
        var path = Path.Combine(_dir, "m.bin");
        Llama2cCheckpoint.Save(weights, path);
        return path;
    }

    [Fact]
    public void SavedCheckpointLoadsBackIdentically()
    {
        var path = SaveTiny(TinyModels.Gqa, out var original);
        var loaded = Llama2cCheckpoint.Load(path);
        Assert.Equal(original.Config, loaded.Config);
        foreach (var ((name, a), (_, b)) in original.TensorsInFileOrder().Zip(loaded.TensorsInFileOrder()))
            Assert.True(a.AsSpan().SequenceEqual(b), name);
        Assert.Same(loaded.TokenEmbedding, loaded.Classifier);
    }

    [Fact]
    public void NegativeVocabSizeLoadsASeparateClassifier()
    {
        var path = SaveTiny(TinyModels.Gqa with { SharedClassifier = false }, out var original);
        var header = File.ReadAllBytes(path).AsSpan(20, 4);
        Assert.Equal(-10, BinaryPrimitives.ReadInt32LittleEndian(header));
        var loaded = Llama2cCheckpoint.Load(path);
        Assert.False(loaded.Config.SharedClassifier);
        Assert.NotSame(loaded.TokenEmbedding, loaded.Classifier);
        Assert.Equal(original.Classifier, loaded.Classifier);
    }

    [Fact]
    public void RealModelHeaderAndSizeMatch()
    {
        var w = Llama2cCheckpoint.Load(SharedAssets.ModelPath);
        Assert.Equal(new LlamaConfig(64, 172, 5, 8, 4, 512, 512), w.Config);
        Assert.Equal(1_056_540, Llama2cCheckpoint.ExpectedFileBytes(w.Config));
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        var path = SaveTiny(TinyModels.Gqa, out _);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 4)]);
        var e = Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void FileShorterThanTheHeaderIsRejected()
    {
        var path = Path.Combine(_dir, "short.bin");
        File.WriteAllBytes(path, new byte[10]);
        Assert.Contains("shorter than the 28-byte header", Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path)).Message);
    }

    [Fact]
    public void HeaderThatDoesNotMatchTheFileSizeIsRejected()
    {
        var path = SaveTiny(TinyModels.Gqa, out _);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 3); // claims 3 layers, the file holds 2
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path));
        Assert.Contains("implies", e.Message);
    }

    [Fact]
    public void ExtraTrailingBytesAreRejected()
    {
        var path = SaveTiny(TinyModels.Gqa, out _);
        File.AppendAllText(path, "xx");
        Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path));
    }

    [Fact]
    public void InconsistentHeaderIsCorrupt()
    {
        var path = SaveTiny(TinyModels.Gqa, out _);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), 3); // 8 dims over 3 heads
        File.WriteAllBytes(path, bytes);
        Assert.Contains("corrupt", Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path)).Message);
    }

    [Fact]
    public void HugeHeaderSizesAreCorruptNotAnAllocation()
    {
        var path = Path.Combine(_dir, "huge.bin");
        var header = new byte[28];
        int[] fields = [1 << 30, 1 << 30, 1 << 30, 1 << 20, 1 << 20, 1 << 30, 1 << 30];
        for (int i = 0; i < 7; i++) BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(i * 4), fields[i]);
        File.WriteAllBytes(path, header);
        Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path));
    }

    [Fact]
    public void NonFiniteWeightIsCorrupt()
    {
        var path = SaveTiny(TinyModels.Gqa, out _);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(28 + 40), float.NaN);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("NaN", Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(path)).Message);
    }

    [Fact]
    public void MissingFileIsReportedByName()
    {
        var e = Assert.Throws<InputException>(() => Llama2cCheckpoint.Load(Path.Combine(_dir, "none.bin")));
        Assert.Contains("none.bin", e.Message);
    }
}
