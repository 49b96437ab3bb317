using System.Security.Cryptography;
using MessagePack;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;


namespace PrivateInference.Parties.Storage;

/// <summary>What a share file says about itself; all public (the model's shape and hash, who holds it, how it was made).</summary>
[MessagePackObject]
public sealed class ShareFileHeader
{
    public const int CurrentFormat = 1;

    [Key(0)] public int Format { get; set; } = CurrentFormat;
    [Key(1)] public string ModelHash { get; set; } = "";
    [Key(2)] public string Scheme { get; set; } = "";
    [Key(3)] public int FracBits { get; set; }
    [Key(4)] public string ClusterId { get; set; } = "";
    [Key(5)] public int PartyId { get; set; }
    [Key(6)] public int[] Shape { get; set; } = [];
    [Key(7)] public float[] ShapeFloats { get; set; } = [];
    [Key(8)] public bool SharedClassifier { get; set; }
    [Key(9)] public string[] TensorNames { get; set; } = [];
    [Key(10)] public DateTime CreatedUtc { get; set; }

    /// <summary>dim, hidden, layers, heads, kv_heads, vocab, seq_len and rms_eps, rope_theta, as stored.</summary>
    public LlamaConfig Config() => new(Shape[0], Shape[1], Shape[2], Shape[3], Shape[4], Shape[5], Shape[6], SharedClassifier,
        ShapeFloats[0], ShapeFloats[1]);

    public static (int[] Ints, float[] Floats) Describe(LlamaConfig c) =>
        ([c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize, c.SeqLen], [c.RmsEps, c.RopeTheta]);
}

[MessagePackObject]
public sealed class StoredTensor
{
    [Key(0)] public string Name { get; set; } = "";
    [Key(1)] public int Rows { get; set; }
    [Key(2)] public int Cols { get; set; }
    [Key(3)] public int Scale { get; set; }
    [Key(4)] public ulong[][] Components { get; set; } = [];
}

/// <summary>The file: header and body, each MessagePack, and the SHA-256 of both, so any flipped byte is noticed.</summary>
[MessagePackObject]
public sealed class ShareFileEnvelope
{
    [Key(0)] public byte[] Header { get; set; } = [];
    [Key(1)] public byte[] Body { get; set; } = [];
    [Key(2)] public byte[] Sha256 { get; set; } = [];
}

/// <summary>
/// One compute party's shares of one model at rest. Written with owner-only permissions (0600): the shares alone
/// reveal nothing, but the file is this party's part of a secret and no one else's business. Reading checks the
/// checksum, the format and that the file belongs to this party of this cluster before any share is used.
/// </summary>
public static class ShareFile
{
    public static void Write(string path, ShareFileHeader header, WeightShares shares)
    {
        var body = MessagePackSerializer.Serialize(shares.Tensors.Select(t => new StoredTensor
        {
            Name = t.Name, Rows = t.Rows, Cols = t.Cols, Scale = t.Scale, Components = t.Components,
        }).ToArray());
        var headerBytes = MessagePackSerializer.Serialize(header);
        var envelope = new ShareFileEnvelope { Header = headerBytes, Body = body, Sha256 = Checksum(headerBytes, body) };
        var temporary = path + ".partial";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
            MessagePackSerializer.Serialize(stream, envelope);
        // Written aside and moved into place, so a crash mid-write never leaves a half file under the real name.
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The header alone, after checking the whole file's checksum; throws <see cref="ShareFileException"/>.</summary>
    public static ShareFileHeader ReadHeader(string path) => Open(path).Header;

    /// <summary>The header and the shares; throws <see cref="ShareFileException"/> with one line saying what is wrong.</summary>
    public static (ShareFileHeader Header, WeightShares Shares) Read(string path)
    {
        var (header, envelope) = Open(path);
        StoredTensor[] tensors;
        try
        {
            tensors = MessagePackSerializer.Deserialize<StoredTensor[]>(envelope.Body);
        }
        catch (MessagePackSerializationException)
        {
            throw new ShareFileException($"share file '{path}' has a body that is not a list of share tensors");
        }
        var config = header.Config();
        var layout = WeightShares.Layout(config);
        if (tensors.Length != layout.Count || tensors.Zip(layout).Any(p => p.First.Name != p.Second.Name
                || p.First.Rows != p.Second.Rows || p.First.Cols != p.Second.Cols
                || p.First.Components.Any(c => c is null || c.Length != (long)p.Second.Rows * p.Second.Cols)))
            throw new ShareFileException($"share file '{path}' does not hold the tensors of the model shape in its header");
        return (header, new WeightShares(config, tensors.Select(t => new WeightShare(t.Name, t.Rows, t.Cols, t.Scale, t.Components)).ToArray()));
    }

    private static (ShareFileHeader Header, ShareFileEnvelope Envelope) Open(string path)
    {
        ShareFileEnvelope envelope;
        try
        {
            using var stream = File.OpenRead(path);
            envelope = MessagePackSerializer.Deserialize<ShareFileEnvelope>(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShareFileException($"cannot read share file '{path}': {e.Message}");
        }
        catch (MessagePackSerializationException)
        {
            throw new ShareFileException($"share file '{path}' is not a share file (or is truncated)");
        }
        if (envelope.Header is null || envelope.Body is null || envelope.Sha256 is null
            || !CryptographicOperations.FixedTimeEquals(envelope.Sha256, Checksum(envelope.Header, envelope.Body)))
            throw new ShareFileException($"share file '{path}' is corrupted: its checksum does not match its contents");
        ShareFileHeader header;
        try
        {
            header = MessagePackSerializer.Deserialize<ShareFileHeader>(envelope.Header);
        }
        catch (MessagePackSerializationException)
        {
            throw new ShareFileException($"share file '{path}' has a header that cannot be read");
        }
        if (header.Format != ShareFileHeader.CurrentFormat)
            throw new ShareFileException($"share file '{path}' has format {header.Format}; this pi reads format {ShareFileHeader.CurrentFormat}");
        if (header.Shape is not { Length: 7 } || header.ShapeFloats is not { Length: 2 })
            throw new ShareFileException($"share file '{path}' has a header without a model shape");
        return (header, envelope);
    }

    private static byte[] Checksum(byte[] header, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header);
        hash.AppendData(body);
        return hash.GetHashAndReset();
    }
}

/// <summary>A share file that cannot be used; the message is one line for the operator.</summary>
public sealed class ShareFileException(string message) : Exception(message);
