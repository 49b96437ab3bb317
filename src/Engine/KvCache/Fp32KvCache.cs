using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>The llama2.c cache: float32 K and V for every layer and position.</summary>
public sealed class Fp32KvCache(LlamaConfig config) : IKvCache
{
    private readonly int _kvDim = config.KvDim;
    private readonly int _seqLen = config.SeqLen;
    private readonly float[] _keys = new float[(long)config.Layers * config.SeqLen * config.KvDim];
    private readonly float[] _values = new float[(long)config.Layers * config.SeqLen * config.KvDim];

    public void Store(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        long at = ((long)layer * _seqLen + pos) * _kvDim;
        key.CopyTo(_keys.AsSpan((int)at, _kvDim));
        value.CopyTo(_values.AsSpan((int)at, _kvDim));
    }

    public ReadOnlySpan<float> Keys(int layer, int length) => _keys.AsSpan(layer * _seqLen * _kvDim, length * _kvDim);

    public ReadOnlySpan<float> Values(int layer, int length) => _values.AsSpan(layer * _seqLen * _kvDim, length * _kvDim);
}
