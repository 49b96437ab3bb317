using PrivateInference.Engine.Models;
using PrivateInference.Kernels.Float;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// XQuant: caches each layer's attention input instead of K and V and rematerializes K and V for every cached position
/// at every step. With <paramref name="latents"/> (grouped-query models, where X is wider than K) the cache holds the
/// SVD latents X·U_k (quantized per channel, like keys) and X·U_v (per token); without, X itself per token.
/// </summary>
public sealed class XQuantCache : MeteredKvCache
{
    private readonly LlamaWeights _weights;
    private readonly XQuantLatents? _latents;
    private readonly QuantizedRowStream[] _first;   // X, or the key latent
    private readonly QuantizedRowStream[]? _second; // the value latent
    private readonly RopeTable _rope;
    private readonly int _window, _dim;
    private readonly float[] _row, _latentK, _latentV;

    public XQuantCache(LlamaWeights weights, int? bits, int window, XQuantLatents? latents, RopeTable? rope = null)
        : base(weights.Config)
    {
        var c = weights.Config;
        _weights = weights;
        _latents = latents;
        _window = window;
        _dim = c.Dim;
        _rope = rope ?? new RopeTable(c);
        var formats = LayerFormats(c, bits, latents != null);
        _first = new QuantizedRowStream[c.Layers];
        _second = latents != null ? new QuantizedRowStream[c.Layers] : null;
        for (int l = 0; l < c.Layers; l++)
        {
            _first[l] = new QuantizedRowStream(formats[0], c.SeqLen);
            if (_second != null) _second[l] = new QuantizedRowStream(formats[1], c.SeqLen);
        }
        _row = new float[c.Dim];
        _latentK = new float[c.KvDim];
        _latentV = new float[c.KvDim];
    }

    /// <summary>The streams one layer caches: [X] or [key latent, value latent].</summary>
    public static StreamFormat[] LayerFormats(LlamaConfig c, int? bits, bool latent) => latent
        ? [new(c.KvDim, QuantizationAxis.PerChannel, bits), new(c.KvDim, QuantizationAxis.PerToken, bits)]
        : [new(c.Dim, QuantizationAxis.PerToken, bits)];

    /// <summary>FLOPs of rebuilding one position's K (with RoPE) and V in one layer.</summary>
    public static long RematerializationFlopsPerPosition(LlamaConfig c, bool latent) =>
        2L * 2 * c.KvDim * (latent ? c.KvDim : c.Dim) + RopeTable.Flops(c.KvDim);

    public override long BytesHeld => _first.Sum(s => s.BytesHeld) + (_second?.Sum(s => s.BytesHeld) ?? 0);

    protected override void StoreRow(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        if (_latents == null)
        {
            Admit(_first[layer], attentionInput, _window, _row);
            return;
        }
        FloatKernels.MatVec(_latents.Keys[layer].Down, attentionInput, _latentK);
        FloatKernels.MatVec(_latents.Values[layer].Down, attentionInput, _latentV);
        Admit(_first[layer], _latentK, _window, _row);
        Admit(_second![layer], _latentV, _window, _row);
    }

    protected override void Rebuild(int layer, int length)
    {
        var c = Config;
        if (_latents == null)
        {
            var wk = _weights.Layer(_weights.Wk, layer, KvDim, _dim);
            var wv = _weights.Layer(_weights.Wv, layer, KvDim, _dim);
            for (int t = 0; t < length; t++)
            {
                _first[layer].Read(t, _row);
                var k = KeyRows.AsSpan(t * KvDim, KvDim);
                FloatKernels.MatVec(wk, _row, k);
                _rope.Apply(k, t);
                FloatKernels.MatVec(wv, _row, ValueRows.AsSpan(t * KvDim, KvDim));
            }
        }
        else
        {
            var upK = _latents.Keys[layer].Up;
            var upV = _latents.Values[layer].Up;
            for (int t = 0; t < length; t++)
            {
                _first[layer].Read(t, _latentK);
                _second![layer].Read(t, _latentV);
                var k = KeyRows.AsSpan(t * KvDim, KvDim);
                FloatKernels.MatVec(upK, _latentK, k);
                _rope.Apply(k, t);
                FloatKernels.MatVec(upV, _latentV, ValueRows.AsSpan(t * KvDim, KvDim));
            }
        }
        RematerializationFlops += length * RematerializationFlopsPerPosition(c, _latents != null);
    }

    protected override int QuantizedPositions(int layer) => _first[layer].Quantized;
}
