using System.Numerics.Tensors;
using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>K and V in fp16: the format the paper's memory ratios are counted against.</summary>
public sealed class Fp16KvCache : MeteredKvCache
{
    private readonly Half[] _keys, _values;
    private readonly int _seqLen;
    private int _positions;

    public Fp16KvCache(LlamaConfig config) : base(config)
    {
        _seqLen = config.SeqLen;
        _keys = new Half[config.Layers * config.SeqLen * KvDim];
        _values = new Half[config.Layers * config.SeqLen * KvDim];
    }

    /// <summary>Two fp16 rows (key and value) per layer and token.</summary>
    public static long BytesPerToken(LlamaConfig config) => 2L * 2 * config.KvDim * config.Layers;

    public override long BytesHeld => _positions * BytesPerToken(Config);

    protected override void StoreRow(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        int at = (layer * _seqLen + pos) * KvDim;
        TensorPrimitives.ConvertToHalf(key, _keys.AsSpan(at, KvDim));
        TensorPrimitives.ConvertToHalf(value, _values.AsSpan(at, KvDim));
        if (layer == 0) _positions = pos + 1;
    }

    protected override void Rebuild(int layer, int length)
    {
        int at = layer * _seqLen * KvDim;
        TensorPrimitives.ConvertToSingle(_keys.AsSpan(at, length * KvDim), KeyRows.AsSpan(0, length * KvDim));
        TensorPrimitives.ConvertToSingle(_values.AsSpan(at, length * KvDim), ValueRows.AsSpan(0, length * KvDim));
    }

    protected override int QuantizedPositions(int layer) => 0;
}
