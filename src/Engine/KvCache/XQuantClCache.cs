using System.Numerics.Tensors;
using PrivateInference.Engine.Models;
using PrivateInference.Kernels.Float;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// XQuant-CL: the residual stream entering each layer changes little from one layer to the next, so each layer caches
/// only the quantized delta between its X and the previous layer's reconstruction, X̂_l = X̂_{l-1} + Q(X_l − X̂_{l-1}).
/// Taking the delta against the reconstruction (not the true X_{l-1}) keeps errors from accumulating over layers.
/// At each step an accumulator walks the layers, summing deltas into X̂_l for every cached position, and K and V are
/// rematerialized from RMSNorm(X̂_l). Deltas are per-token quantized; the first layers, whose deltas are largest, at
/// <see cref="FirstLayersBits"/> bits. Rows in the recent window hold X_l itself in fp16.
/// </summary>
public sealed class XQuantClCache : MeteredKvCache
{
    /// <summary>Layers 0..2 are cached at 4 bits whatever the bit width of the rest, as in the paper.</summary>
    public const int FirstLayersAt4Bits = 3, FirstLayersBits = 4;

    private readonly LlamaWeights _weights;
    private readonly QuantizedRowStream[] _deltas;
    private readonly RopeTable _rope;
    private readonly int _window, _dim;
    private readonly float[] _accumulator, _row, _delta;
    // The accumulator holds X̂ of layer _accLayer for positions [0, _accLength); -1 when it must be rebuilt.
    private int _accLayer = -1, _accLength;

    public XQuantClCache(LlamaWeights weights, int? bits, int window, RopeTable? rope = null) : base(weights.Config)
    {
        var c = weights.Config;
        _weights = weights;
        _window = window;
        _dim = c.Dim;
        _rope = rope ?? new RopeTable(c);
        _deltas = new QuantizedRowStream[c.Layers];
        for (int l = 0; l < c.Layers; l++)
            _deltas[l] = new QuantizedRowStream(LayerFormat(c, l, bits), c.SeqLen);
        _accumulator = new float[c.SeqLen * c.Dim];
        _row = new float[c.Dim];
        _delta = new float[c.Dim];
    }

    public static StreamFormat LayerFormat(LlamaConfig c, int layer, int? bits) =>
        new(c.Dim, QuantizationAxis.PerToken, bits is null ? null : layer < FirstLayersAt4Bits ? Math.Max(bits.Value, FirstLayersBits) : bits);

    /// <summary>FLOPs per position and layer: one add into the accumulator, RMSNorm (square-sum, scale, gain), K with
    /// RoPE, and V.</summary>
    public static long RematerializationFlopsPerPosition(LlamaConfig c) =>
        c.Dim + 4L * c.Dim + 2L * 2 * c.KvDim * c.Dim + RopeTable.Flops(c.KvDim);

    public override long BytesHeld => _deltas.Sum(s => s.BytesHeld);

    protected override void StoreRow(int layer, int pos, ReadOnlySpan<float> residual, ReadOnlySpan<float> attentionInput,
        ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        var stream = _deltas[layer];
        if (layer > 0) Accumulate(layer - 1, pos + 1);
        stream.AppendRecent(residual);
        while (stream.Quantized < stream.Count - _window)
        {
            int p = stream.Quantized;
            ReadOnlySpan<float> target = _window == 0 ? residual : Read(stream, p);
            if (layer == 0)
                target.CopyTo(_delta);
            else
                TensorPrimitives.Subtract(target, _accumulator.AsSpan(p * _dim, _dim), _delta);
            stream.QuantizeNext(_delta);
        }
        // The layer's reconstruction changed: an accumulator at or past it is stale.
        if (_accLayer >= layer) _accLayer = -1;
    }

    protected override void Rebuild(int layer, int length)
    {
        Accumulate(layer, length);
        var c = Config;
        var gain = _weights.LayerVector(_weights.RmsAtt, layer, _dim);
        var wk = _weights.Layer(_weights.Wk, layer, KvDim, _dim);
        var wv = _weights.Layer(_weights.Wv, layer, KvDim, _dim);
        for (int t = 0; t < length; t++)
        {
            FloatKernels.RmsNorm(_accumulator.AsSpan(t * _dim, _dim), gain, _row, c.RmsEps);
            var k = KeyRows.AsSpan(t * KvDim, KvDim);
            FloatKernels.MatVec(wk, _row, k);
            _rope.Apply(k, t);
            FloatKernels.MatVec(wv, _row, ValueRows.AsSpan(t * KvDim, KvDim));
        }
        RematerializationFlops += length * RematerializationFlopsPerPosition(c);
    }

    protected override int QuantizedPositions(int layer) => _deltas[layer].Quantized;

    /// <summary>Brings the accumulator to X̂ of <paramref name="layer"/> for positions [0, length): one step forward from
    /// the layer below when it holds that, else a walk up from layer 0.</summary>
    private void Accumulate(int layer, int length)
    {
        if (_accLayer == layer && _accLength >= length) return;
        int from = _accLayer == layer - 1 && _accLength >= length ? layer : 0;
        for (int l = from; l <= layer; l++)
        {
            var stream = _deltas[l];
            for (int t = 0; t < length; t++)
            {
                var acc = _accumulator.AsSpan(t * _dim, _dim);
                if (l > 0 && stream.IsQuantized(t))
                {
                    stream.Read(t, _row);
                    TensorPrimitives.Add(acc, _row, acc);
                }
                else
                {
                    // Layer 0 stores X̂_0 itself, and a recent row holds X_l in full: either replaces the sum.
                    stream.Read(t, acc);
                }
            }
        }
        (_accLayer, _accLength) = (layer, length);
    }

    private Span<float> Read(QuantizedRowStream stream, int pos)
    {
        stream.Read(pos, _row);
        return _row;
    }
}
