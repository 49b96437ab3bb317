using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// A decode step's secret choice of child clusters for every KV head, applied to attention without moving keys or
/// values: the scores of the selected tokens are gathered from the scores of all cached tokens, and their attention
/// probabilities are scattered back to the cached positions (zero elsewhere), so that p·V runs over the whole cache.
/// In 3pc a secret product sends one ring element per output element, so gathering scores (k·c·G per KV head) and
/// scattering probabilities (n·G) is far cheaper than gathering keys and values (k·c·2·head_size).
/// </summary>
/// <param name="OneHot">secret [kvh, k, children] (scale 0), row b picking one child cluster; row 0 is the last
/// (newest, possibly partial) child, a public fact of the selection.</param>
/// <param name="ChildSize">tokens per child cluster.</param>
/// <param name="CacheLength">tokens in the cache (n); the last child holds n − (children − 1)·ChildSize of them.</param>
public sealed record SelectedClusters(SecretTensor OneHot, int ChildSize, int CacheLength)
{
    public int Children => OneHot.Shape[2];

    /// <summary>Attended positions per query: k·ChildSize, padding included.</summary>
    public int Tokens => OneHot.Shape[1] * ChildSize;

    /// <summary>Which gathered positions are real tokens (public): all but the padding after the last child's tokens,
    /// which sits in row 0.</summary>
    public bool[] Valid()
    {
        int lastChildTokens = CacheLength - (Children - 1) * ChildSize;
        return Enumerable.Range(0, Tokens).Select(j => j >= ChildSize || j < lastChildTokens).ToArray();
    }

    /// <summary>Scores [kvh, G, n] of every cached token → [kvh, G, k·ChildSize] of the selected ones (any scale:
    /// the one-hot product is exact).</summary>
    public SecretTensor Gather(MpcContext ctx, SecretTensor scores)
    {
        int kvh = scores.Shape[0], g = scores.Shape[1], k = OneHot.Shape[1];
        var byChild = ctx.Reshape(ctx.Transpose(Pad(ctx, scores)), kvh, Children, ChildSize * g);   // [kvh, C, c·G]
        var picked = ctx.MatMul(OneHot, byChild);                                                     // [kvh, k, c·G]
        return ctx.Transpose(ctx.Reshape(picked, kvh, k * ChildSize, g));
    }

    /// <summary>Probabilities [kvh, G, k·ChildSize] of the selected tokens → [kvh, G, n] over the cached positions.</summary>
    public SecretTensor Scatter(MpcContext ctx, SecretTensor probs)
    {
        int kvh = probs.Shape[0], g = probs.Shape[1], k = OneHot.Shape[1];
        var byRow = ctx.Reshape(ctx.Transpose(probs), kvh, k, ChildSize * g);                       // [kvh, k, c·G]
        var placed = ctx.MatMul(ctx.Transpose(OneHot), byRow);                                      // [kvh, C, c·G]
        var perToken = ctx.Transpose(ctx.Reshape(placed, kvh, Children * ChildSize, g));            // [kvh, G, C·c]
        return ctx.Slice(perToken, 2, 0, CacheLength);
    }

    /// <summary>Pads the token axis to whole clusters with shared zeros (masked out after the gather).</summary>
    private SecretTensor Pad(MpcContext ctx, SecretTensor scores)
    {
        int padding = Children * ChildSize - CacheLength;
        if (padding == 0) return scores;
        var zeros = ctx.MulPublicInt(ctx.Slice(scores, 2, 0, padding), 0);
        return ctx.Concat([scores, zeros], 2);
    }
}
