using System.Numerics.Tensors;
using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Models;
using PrivateInference.Kernels.Float;

namespace PrivateInference.Engine.Plain;

/// <summary>
/// The float32 Llama forward pass, one position at a time, as in llama2.c's run.c: pre-norm residual blocks of
/// grouped-query attention with RoPE and a SwiGLU FFN, then the final norm and the classifier.
/// </summary>
public sealed class PlainTransformer
{
    private readonly LlamaWeights _w;
    private readonly LlamaConfig _c;
    private readonly IKvCache _cache;
    private readonly IAttentionPolicy _attention;
    // Activation buffers, reused across positions (the hot loop allocates nothing).
    private readonly float[] _x, _xb, _xb2, _q, _k, _v, _hb, _hb2, _att, _logits, _cos, _sin;

    public PlainTransformer(LlamaWeights weights, IKvCache? cache = null, IAttentionPolicy? attention = null)
    {
        _w = weights;
        _c = weights.Config;
        _cache = cache ?? new Fp32KvCache(_c);
        _attention = attention ?? new FullAttention(_c.SeqLen);
        _x = new float[_c.Dim];
        _xb = new float[_c.Dim];
        _xb2 = new float[_c.Dim];
        _q = new float[_c.Dim];
        _k = new float[_c.KvDim];
        _v = new float[_c.KvDim];
        _hb = new float[_c.HiddenDim];
        _hb2 = new float[_c.HiddenDim];
        _att = new float[_c.SeqLen];
        _logits = new float[_c.VocabSize];
        _cos = new float[_c.HeadSize / 2];
        _sin = new float[_c.HeadSize / 2];
    }

    public LlamaConfig Config => _c;

    /// <summary>Sees the values the private protocols must cover, as they arise (calibration; null: no cost).</summary>
    public IActivationObserver? Observer { get; init; }

    /// <summary>Runs <paramref name="token"/> at position <paramref name="pos"/> (all earlier positions must have run)
    /// and returns the next-token logits; the span is overwritten by the next call. Without
    /// <paramref name="computeLogits"/> only the decoder layers run (benchmarks time them alone) and the span is empty.</summary>
    public ReadOnlySpan<float> Forward(int token, int pos, bool computeLogits = true)
    {
        var c = _c;
        if ((uint)token >= (uint)c.VocabSize)
            throw new InputException($"token id {token} is outside the vocabulary (0..{c.VocabSize - 1})");
        if ((uint)pos >= (uint)c.SeqLen)
            throw new InputException($"position {pos} is beyond the model's context of {c.SeqLen}");
        int dim = c.Dim, kvDim = c.KvDim, hidden = c.HiddenDim, hs = c.HeadSize;
        var x = _x.AsSpan();
        _w.TokenEmbedding.AsSpan(token * dim, dim).CopyTo(x);
        RotaryEmbedding.Angles(pos, hs, c.RopeTheta, _cos, _sin);
        float invSqrtHead = 1f / MathF.Sqrt(hs);

        for (int l = 0; l < c.Layers; l++)
        {
            // Attention block.
            Observer?.NormInput(x, c.RmsEps);
            FloatKernels.RmsNorm(x, _w.LayerVector(_w.RmsAtt, l, dim), _xb, c.RmsEps);
            FloatKernels.MatVec(_w.Layer(_w.Wq, l, dim, dim), _xb, _q);
            FloatKernels.MatVec(_w.Layer(_w.Wk, l, kvDim, dim), _xb, _k);
            FloatKernels.MatVec(_w.Layer(_w.Wv, l, kvDim, dim), _xb, _v);
            RotaryEmbedding.Apply(_q, hs, _cos, _sin);
            RotaryEmbedding.Apply(_k, hs, _cos, _sin);
            _cache.Store(l, pos, x, _xb, _k, _v);

            var keys = _cache.Keys(l, pos + 1);
            var values = _cache.Values(l, pos + 1);
            _attention.BeginLayer(l, pos, _q, keys);
            for (int h = 0; h < c.Heads; h++)
            {
                var q = _q.AsSpan(h * hs, hs);
                int kvHead = h / c.KvGroup, kvOffset = kvHead * hs;
                var positions = _attention.AttendedPositions(kvHead);
                var att = _att.AsSpan(0, positions.Length);
                for (int i = 0; i < positions.Length; i++)
                    att[i] = TensorPrimitives.Dot(q, keys.Slice(positions[i] * kvDim + kvOffset, hs)) * invSqrtHead;
                Observer?.Scores(att);
                FloatKernels.Softmax(att);
                _attention.ObserveAttention(l, pos, h, att);
                var o = _xb.AsSpan(h * hs, hs);
                o.Clear();
                for (int i = 0; i < positions.Length; i++)
                    TensorPrimitives.MultiplyAdd(values.Slice(positions[i] * kvDim + kvOffset, hs), att[i], o, o);
            }
            FloatKernels.MatVec(_w.Layer(_w.Wo, l, dim, dim), _xb, _xb2);
            TensorPrimitives.Add(x, _xb2, x);

            // Feed-forward block: w2(silu(w1·x) ⊙ w3·x).
            Observer?.NormInput(x, c.RmsEps);
            FloatKernels.RmsNorm(x, _w.LayerVector(_w.RmsFfn, l, dim), _xb, c.RmsEps);
            FloatKernels.MatVec(_w.Layer(_w.W1, l, hidden, dim), _xb, _hb);
            FloatKernels.MatVec(_w.Layer(_w.W3, l, hidden, dim), _xb, _hb2);
            Observer?.GateInput(_hb);
            FloatKernels.SwiGlu(_hb, _hb2);
            FloatKernels.MatVec(_w.Layer(_w.W2, l, dim, hidden), _hb, _xb);
            TensorPrimitives.Add(x, _xb, x);
        }

        if (!computeLogits) return default;
        Observer?.NormInput(x, c.RmsEps);
        FloatKernels.RmsNorm(x, _w.RmsFinal, x, c.RmsEps);
        FloatKernels.MatVec(_w.Classifier, x, _logits);
        return _logits;
    }
}
