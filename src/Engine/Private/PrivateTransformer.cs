using PrivateInference.Engine.Models;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Private;

/// <summary>
/// The Llama forward pass on secret shares, written against the scheme-independent MPC API so that it runs
/// unchanged under 3pc and 2pc. It mirrors <see cref="Plain.PlainTransformer"/>, batched over T positions (the
/// whole prompt at prefill, one token when decoding): norm, Q/K/V, RoPE with public angles, grouped-query
/// attention over the secret cache with a causal mask, output projection, SwiGLU, and finally the classifier on
/// the last position. Nothing is ever opened; the logits go to the client as shares.
/// </summary>
public sealed class PrivateTransformer(MpcContext ctx, LlamaConfig config, PrivateWeights w, CachePolicies.PrivateCachePolicy? policy = null)
{
    // rsqrt's input Σx² + d·eps: 2^-4 (a d·eps floor) up to 2^28, as wide as Σx² at 2f fits the ring with room (f ≤ 16:
    // 2^(28 + 32) < 2^62; above f = 16 Σx² is truncated to f and 2^(28 + f) fits too). stories260K reaches 900; a
    // model with 128× its embeddings reaches 2^24 (Engine.Tests: PrivateGenerationTests).
    public const int NormMinLog2 = -4, NormMaxLog2 = 28;

    private readonly LlamaConfig _c = config;
    // Products left untruncated for their consumer to fold the truncation in (one round each): see UntruncatedProducts.
    private bool Fold => UntruncatedProducts.Allowed(ctx);
    private readonly PrivateKvCache _cache = new(ctx, config, policy);

    /// <summary>Positions already in the cache.</summary>
    public int Length { get; private set; }

    /// <summary>Runs the tokens given as a secret one-hot [T, vocab] at positions Length..Length+T-1 and returns the
    /// secret logits [1, vocab] of the last one, or [T, vocab] of every one (teacher-forced evaluation).</summary>
    public SecretTensor Forward(SecretTensor oneHot, bool allPositions = false)
    {
        int t = oneHot.Shape[0];
        var x = ctx.MatMul(oneHot, w.Embedding ?? throw new InvalidOperationException("the embedding was not shared"));  // [T, d]
        x = RunLayers(x);
        // The classifier runs under the last layer's roles, where x already is (its weight is prepared there); a reveal
        // of the logits follows the roles they were made under.
        using var roles = LayerRoles(ctx, _c.Layers - 1, _c.Layers);
        var last = allPositions ? x : ctx.Slice(x, 0, t - 1, 1);
        using var head = ctx.Scope("classifier");
        return ctx.MatMul(Norm(last), w.Classifier ?? throw new InvalidOperationException("the classifier was not shared"));  // [1 or T, vocab]
    }

    /// <summary>The decoder stack alone on hidden states [T, d] at positions Length..Length+T-1. The residual stream
    /// is left at the output projections' scale (2f where <see cref="UntruncatedProducts"/> allow): each norm
    /// truncates its copy in the opening it needs anyway.</summary>
    public SecretTensor Layers(SecretTensor x) => ctx.Adopt(RunLayers(x));

    /// <summary>The decoder stack, its output left on the last layer's roles.</summary>
    private SecretTensor RunLayers(SecretTensor x)
    {
        int t = x.Shape[0], start = Length;
        if (start + t > _c.SeqLen)
            throw new InputException($"position {start + t - 1} is beyond the model's context of {_c.SeqLen}");
        for (int l = 0; l < _c.Layers; l++)
        {
            using var layerScope = ctx.Scope("layer");
            using var roles = LayerRoles(ctx, l, _c.Layers);
            x = ctx.Adopt(x);
            x = x + Attention(l, Norm(x), start);
            x = x + FeedForward(l, Norm(x));
        }
        Length += t;
        return x;
    }

    /// <summary>
    /// The helper's roles of layer <paramref name="layer"/> of <paramref name="layers"/> (<see cref="MpcContext.HelperRoles"/>):
    /// in 3pc the helper sends about twice what each of the others does (a prefill's softmax above all), so the layers
    /// run in three contiguous blocks, each with another compute party as the helper (P2, then P0, then P1). A layer's
    /// weights are prepared and its cache kept under its roles. The residual stream is adopted where the block changes
    /// (one round each, two per token); the embedding runs under the first block's roles (P2 helping) and the
    /// classifier under the last one's.
    /// </summary>
    public static int HelperShift(int layer, int layers) => layers < 3 ? layer : layer * 3 / layers;

    /// <summary>Runs what follows, until disposed, under the roles of <paramref name="layer"/> (<see cref="HelperShift"/>).</summary>
    public static IDisposable LayerRoles(MpcContext ctx, int layer, int layers) => ctx.HelperRoles(HelperShift(layer, layers));

    /// <summary>Benchmark set-up only: makes the cache hold <paramref name="length"/> positions of the given secret
    /// keys and values ([kv_heads, length, head_size] per layer) without running a prefill. Decode cost does not
    /// depend on the cached values, so long contexts can be measured without paying a long private prefill first.</summary>
    public void FillCacheForBenchmark(IReadOnlyList<SecretTensor> keys, IReadOnlyList<SecretTensor> values, int length)
    {
        if (Length != 0) throw new InvalidOperationException("the cache is already in use");
        _cache.Fill(keys, values);
        Length = length;
    }

    /// <summary>x · rsqrt(Σx² + d·eps): RMSNorm with its gain and √d folded into the next matrix. x may be the
    /// untruncated residual stream (2f): its truncation rides in the opening of x·x, and Σx² stays at 2f for rsqrt's
    /// first product to truncate.</summary>
    private SecretTensor Norm(SecretTensor x)
    {
        using var scope = ctx.Scope("rmsnorm");
        return ctx.RmsNormalize(x, _c.Dim * (double)_c.RmsEps, NormMinLog2, NormMaxLog2);
    }

    private SecretTensor Attention(int l, SecretTensor xn, int start)
    {
        using var scope = ctx.Scope("attention");
        int t = xn.Shape[0], d = _c.Dim, kv = _c.KvDim, hs = _c.HeadSize, g = _c.KvGroup;
        // Q/K/V untruncated (2f), RoPE's public product on top (3f), then one truncation for all three.
        var qkvRaw = ctx.MatMul(xn, w.Wqkv[l], truncate: !Fold);              // [T, d + 2kv]
        var qkv = ctx.Rescale(ctx.Concat([Rope(ctx.Slice(qkvRaw, 1, 0, d + kv), start), ctx.Slice(qkvRaw, 1, d + kv, kv)], 1), ctx.FracBits);
        var q = ctx.Slice(qkv, 1, 0, d);
        var k = ctx.Slice(qkv, 1, d, kv);
        var v = ctx.Slice(qkv, 1, d + kv, kv);

        _cache.Append(l, ToHeads(k, _c.KvHeads), ToHeads(v, _c.KvHeads));     // [kvh, S, hs]
        // The query heads of one KV head are stacked, so each KV head is one batch entry: [kvh, G·T, hs].
        var heads = _cache.Attend(l, ctx.Reshape(ToHeads(q, _c.Heads), _c.KvHeads, g * t, hs), start, t);
        var o = FromHeads(ctx.Reshape(heads, _c.Heads, t, hs));               // [T, d]
        return ctx.MatMul(o, w.Wo[l], truncate: !Fold);                       // at 2f: the next norm truncates
    }

    private SecretTensor FeedForward(int l, SecretTensor xn)
    {
        using var scope = ctx.Scope("ffn");
        int h = _c.HiddenDim;
        var h13 = ctx.MatMul(xn, w.W13[l], truncate: !Fold);                  // [T, 2·hidden] at 2f: SwiGLU truncates
        var gate = ctx.SiluMul(ctx.Slice(h13, 1, 0, h), ctx.Slice(h13, 1, h, h));
        return ctx.MatMul(gate, w.W2[l], truncate: !Fold);                    // at 2f: the next norm truncates
    }

    /// <summary>RoPE on adjacent pairs with public angles: (a, b) → (a·cos − b·sin, a·sin + b·cos), both outputs from
    /// one public product (the rows are stacked), left untruncated (x's scale + f) for the caller's one truncation.</summary>
    private SecretTensor Rope(SecretTensor x, int start)
    {
        using var scope = ctx.Scope("rope");
        int t = x.Shape[0], pairs = x.Shape[1] / 2, half = _c.HeadSize / 2;
        var cos = new float[half];
        var sin = new float[half];
        var coef = new double[2 * t * pairs * 2];
        for (int i = 0; i < t; i++)
        {
            RotaryEmbedding.Angles(start + i, _c.HeadSize, _c.RopeTheta, cos, sin);
            for (int p = 0; p < pairs; p++)
            {
                int j = p % half;
                int even = (i * pairs + p) * 2, odd = ((t + i) * pairs + p) * 2;
                coef[even] = cos[j]; coef[even + 1] = -sin[j];
                coef[odd] = sin[j]; coef[odd + 1] = cos[j];
            }
        }
        var x2 = ctx.Reshape(x, t, pairs, 2);
        var both = ctx.Concat([x2, x2], 0);                                    // [2T, pairs, 2]
        var rotated = ctx.Sum(ctx.MulPublicExact(both, coef, [2 * t, pairs, 2]));  // [2T, pairs]
        var even2 = ctx.Reshape(ctx.Slice(rotated, 0, 0, t), t, pairs, 1);
        var odd2 = ctx.Reshape(ctx.Slice(rotated, 0, t, t), t, pairs, 1);
        return ctx.Reshape(ctx.Concat([even2, odd2], 2), t, 2 * pairs);
    }

    /// <summary>[T, n·hs] → [n, T, hs] (local data movement).</summary>
    private SecretTensor ToHeads(SecretTensor x, int n)
    {
        int t = x.Shape[0], hs = _c.HeadSize;
        var perChannel = ctx.Transpose(x);                                     // [n·hs, T]
        return ctx.Transpose(ctx.Reshape(perChannel, n, hs, t));               // [n, T, hs]
    }

    /// <summary>[n, T, hs] → [T, n·hs].</summary>
    private SecretTensor FromHeads(SecretTensor x)
    {
        int n = x.Shape[0], t = x.Shape[1], hs = x.Shape[2];
        var perChannel = ctx.Reshape(ctx.Transpose(x), n * hs, t);             // [n·hs, T]
        return ctx.Transpose(perChannel);
    }
}
