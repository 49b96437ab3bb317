using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// What every cache of this folder shares: K and V are rebuilt into one pair of buffers per (layer, length) on demand,
/// once even though attention asks for keys and values separately, and the rebuild is metered.
/// </summary>
public abstract class MeteredKvCache : IMeteredKvCache
{
    protected readonly LlamaConfig Config;
    protected readonly int KvDim;
    protected readonly float[] KeyRows, ValueRows;
    private int _builtLayer = -1, _builtLength, _builtVersion, _version;

    protected MeteredKvCache(LlamaConfig config)
    {
        Config = config;
        KvDim = config.KvDim;
        KeyRows = new float[config.SeqLen * KvDim];
        ValueRows = new float[config.SeqLen * KvDim];
    }

    public long RematerializationFlops { get; protected set; }
    public long AttendedEntries { get; private set; }
    public long QuantizedAttendedEntries { get; private set; }
    public abstract long BytesHeld { get; }

    public void Store(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        StoreRow(layer, pos, residual, attentionInput, key, value);
        _version++;
    }

    public ReadOnlySpan<float> Keys(int layer, int length)
    {
        Build(layer, length);
        return KeyRows.AsSpan(0, length * KvDim);
    }

    public ReadOnlySpan<float> Values(int layer, int length)
    {
        Build(layer, length);
        return ValueRows.AsSpan(0, length * KvDim);
    }

    protected abstract void StoreRow(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value);

    /// <summary>Writes keys (RoPE applied) and values of positions [0, length) of <paramref name="layer"/> into
    /// <see cref="KeyRows"/> and <see cref="ValueRows"/>.</summary>
    protected abstract void Rebuild(int layer, int length);

    /// <summary>How many of <paramref name="layer"/>'s positions are held quantized.</summary>
    protected abstract int QuantizedPositions(int layer);

    /// <summary>Adds a row to a stream and quantizes whatever leaves the recent window. Without a window the row is
    /// quantized from its float32 value; with one, from the fp16 copy the window kept.</summary>
    private protected static void Admit(QuantizedRowStream stream, ReadOnlySpan<float> row, int window, Span<float> scratch)
    {
        stream.AppendRecent(row);
        if (window == 0)
        {
            stream.QuantizeNext(row);
            return;
        }
        while (stream.Quantized < stream.Count - window)
        {
            stream.Read(stream.Quantized, scratch);
            stream.QuantizeNext(scratch[..stream.Format.Width]);
        }
    }

    private void Build(int layer, int length)
    {
        if (layer == _builtLayer && length == _builtLength && _version == _builtVersion) return;
        Rebuild(layer, length);
        AttendedEntries += length;
        QuantizedAttendedEntries += Math.Min(length, QuantizedPositions(layer));
        (_builtLayer, _builtLength, _builtVersion) = (layer, length, _version);
    }
}
