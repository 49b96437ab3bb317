using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// KIVI: keys (after RoPE) quantized per channel, values per token, the newest <c>window</c> tokens in fp16. Nothing is
/// rematerialized; reading the cache only decodes.
/// </summary>
public sealed class KiviKvCache : MeteredKvCache
{
    private readonly QuantizedRowStream[] _keys, _values;
    private readonly int _window;
    private readonly float[] _scratch;

    public KiviKvCache(LlamaConfig config, int? bits, int window) : base(config)
    {
        _window = window;
        _keys = new QuantizedRowStream[config.Layers];
        _values = new QuantizedRowStream[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            _keys[l] = new QuantizedRowStream(KeyFormat(config, bits), config.SeqLen);
            _values[l] = new QuantizedRowStream(ValueFormat(config, bits), config.SeqLen);
        }
        _scratch = new float[KvDim];
    }

    public static StreamFormat KeyFormat(LlamaConfig config, int? bits) => new(config.KvDim, QuantizationAxis.PerChannel, bits);

    public static StreamFormat ValueFormat(LlamaConfig config, int? bits) => new(config.KvDim, QuantizationAxis.PerToken, bits);

    public override long BytesHeld => _keys.Sum(s => s.BytesHeld) + _values.Sum(s => s.BytesHeld);

    protected override void StoreRow(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        Admit(_keys[layer], key, _window, _scratch);
        Admit(_values[layer], value, _window, _scratch);
    }

    protected override void Rebuild(int layer, int length)
    {
        for (int t = 0; t < length; t++)
        {
            _keys[layer].Read(t, KeyRows.AsSpan(t * KvDim, KvDim));
            _values[layer].Read(t, ValueRows.AsSpan(t * KvDim, KvDim));
        }
    }

    protected override int QuantizedPositions(int layer) => _keys[layer].Quantized;
}
