using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// A decode step's secret choice of child clusters for every KV head, applied to attention without moving keys or
/// values: the scores of the selected tokens are gathered from the scores of all cached tokens, and their attention
/// probabilities are scattered back to the cached positions (zero elsewhere), so that p·V runs over the whole cache.
/// In 3pc a secret product sends one ring element per output element, so gathering scores (k·c·G per KV head) and
/// scattering probabilities (n·G) is far cheaper than gathering keys and values (k·c·2·head_size).
/// With the hierarchy the choice has two stages, as it was made: <see cref="Parents"/> picks whole parent clusters and
/// <see cref="OneHot"/> picks children among their slots, so no product runs over (kept children × all children).
/// </summary>
/// <param name="OneHot">secret [kvh, k, slots] (scale 0), row b picking one child cluster: a slot among the picked
/// parents' children when <see cref="Parents"/> is given, else a child of the cache. Row 0 is the last (newest,
/// possibly partial) child, a public fact of the selection.</param>
/// <param name="ChildSize">tokens per child cluster.</param>
/// <param name="CacheLength">tokens in the cache (n); the last child holds n − (children − 1)·ChildSize of them.</param>
/// <param name="Parents">secret [kvh, k1, parents] (scale 0) of the parents whose children are the slots (slot
/// b·per + j is child j of the parent in row b), or null.</param>
/// <param name="ParentSize">tokens per parent cluster (with <see cref="Parents"/>).</param>
/// <param name="Chosen">this layer's token scores of the selected clusters [kvh, k, ChildSize·G], in row order, when the
/// selection already gathered them (carried through its tournaments), else null: <see cref="Gather"/> then multiplies.</param>
/// <param name="Layout">the public structure of <see cref="OneHot"/> when a tournament made it (products then touch only
/// its possible entries), else null (dense products).</param>
/// <param name="ParentLayout">the same for <see cref="Parents"/>.</param>
public sealed record SelectedClusters(SecretTensor OneHot, int ChildSize, int CacheLength, SecretTensor? Parents = null, int ParentSize = 0,
    SecretTensor? Chosen = null, OneHotLayout? Layout = null, OneHotLayout? ParentLayout = null)
{
    public int Children => CacheBudgets.Clusters(CacheLength, ChildSize);

    /// <summary>Attended positions per query: k·ChildSize, padding included.</summary>
    public int Tokens => OneHot.Shape[1] * ChildSize;

    /// <summary>Which gathered positions are real tokens (public): all but the padding after the last child's tokens,
    /// which sits in row 0.</summary>
    public bool[] Valid()
    {
        int lastChildTokens = CacheLength - (Children - 1) * ChildSize;
        return Enumerable.Range(0, Tokens).Select(j => j >= ChildSize || j < lastChildTokens).ToArray();
    }

    /// <summary>Scores [kvh, G, n] of every cached token → [kvh, G, k·ChildSize] of the selected ones, at the scores'
    /// scale: the one-hot products are exact and left untruncated (softmax folds the truncation of scores at 2f into
    /// its first product; truncating here took a round per product).</summary>
    public SecretTensor Gather(MpcContext ctx, SecretTensor scores)
    {
        using var scope = ctx.Scope("gather");
        int kvh = scores.Shape[0], g = scores.Shape[1], k = OneHot.Shape[1];
        if (Chosen is not null) return ctx.Transpose(ctx.Reshape(Chosen, kvh, k * ChildSize, g));
        var tokens = ctx.Transpose(Pad(ctx, scores));                                                 // [kvh, padded n, G]
        SecretTensor slots;
        if (Parents is null)
            slots = ctx.Reshape(tokens, kvh, Children, ChildSize * g);                                // [kvh, C, c·G]
        else
        {
            int k1 = Parents.Shape[1], parents = Parents.Shape[2];
            var byParent = TokensByCluster(ctx, scores, parents, ParentSize);                         // [kvh, P, P·G]
            var picked = ParentLayout is { } pl ? pl.Gather(ctx, byParent) : ctx.MatMul(Parents, byParent, truncate: false);   // [kvh, k1, P·G]
            slots = ctx.Reshape(picked, kvh, k1 * (ParentSize / ChildSize), ChildSize * g);           // [kvh, slots, c·G]
        }
        var chosen = Layout is { } l ? l.Gather(ctx, slots) : ctx.MatMul(OneHot, slots, truncate: false);   // [kvh, k, c·G]
        return ctx.Transpose(ctx.Reshape(chosen, kvh, k * ChildSize, g));
    }

    /// <summary>Token scores [kvh, G, n] laid out by cluster [kvh, clusters, size·G] (parents or children), the padding past the
    /// cache's end as shared zeros (never picked as a token: masked after the gather).</summary>
    public static SecretTensor TokensByCluster(MpcContext ctx, SecretTensor scores, int clusters, int size)
    {
        int kvh = scores.Shape[0], g = scores.Shape[1], n = scores.Shape[2], whole = clusters * size;
        var indices = new int[kvh * whole * g];
        for (int h = 0, at = 0; h < kvh; h++)
            for (int t = 0; t < whole; t++)
                for (int j = 0; j < g; j++) indices[at++] = t < n ? (h * g + j) * n + t : -1;
        return ctx.Rearrange(scores, indices, kvh, clusters, size * g);
    }

    /// <summary>Probabilities [kvh, G, k·ChildSize] of the selected tokens → [kvh, G, n] over the cached positions.</summary>
    public SecretTensor Scatter(MpcContext ctx, SecretTensor probs)
    {
        using var scope = ctx.Scope("scatter");
        int kvh = probs.Shape[0], g = probs.Shape[1], k = OneHot.Shape[1];
        var byRow = ctx.Reshape(ctx.Transpose(probs), kvh, k, ChildSize * g);                       // [kvh, k, c·G]
        int slotCount = OneHot.Shape[2];
        var placed = Layout is { } l ? l.Scatter(ctx, byRow, slotCount) : ctx.MatMul(ctx.Transpose(OneHot), byRow);   // [kvh, slots, c·G]
        int padded = Children * ChildSize;
        if (Parents is not null)
        {
            int k1 = Parents.Shape[1], parents = Parents.Shape[2];
            var perParent = ctx.Reshape(placed, kvh, k1, ParentSize * g);
            placed = ParentLayout is { } pl ? pl.Scatter(ctx, perParent, parents) : ctx.MatMul(ctx.Transpose(Parents), perParent);  // [kvh, parents, P·G]
            padded = parents * ParentSize;
        }
        var perToken = ctx.Transpose(ctx.Reshape(placed, kvh, padded, g));                          // [kvh, G, padded n]
        return ctx.Slice(perToken, 2, 0, CacheLength);
    }

    /// <summary>The choice as one one-hot [kvh, k, children] over the cache's children (composed from the two stages
    /// when there are two; for checks, not for the attention).</summary>
    public SecretTensor ChildOneHot(MpcContext ctx)
    {
        if (Parents is null) return OneHot;
        int kvh = OneHot.Shape[0], k1 = Parents.Shape[1], parents = Parents.Shape[2], per = ParentSize / ChildSize;
        return ctx.MatMul(OneHot, ExpandToChildren(ctx, Parents, per, Children));
    }

    /// <summary>From parents' one-hot [kvh, k1, parents] to their children's [kvh, k1·per, children]: slot (b, j) is child
    /// j of the parent in row b (zero past the last child). Local: only zeros are inserted.</summary>
    public static SecretTensor ExpandToChildren(MpcContext ctx, SecretTensor parents, int per, int children)
    {
        int kvh = parents.Shape[0], k1 = parents.Shape[1], p = parents.Shape[2], slots = k1 * per;
        var indices = new int[kvh * slots * children];
        for (int h = 0, at = 0; h < kvh; h++)
            for (int b = 0; b < k1; b++)
                for (int j = 0; j < per; j++)
                    for (int c = 0; c < children; c++)
                        indices[at++] = c % per == j && c / per < p ? (h * k1 + b) * p + c / per : -1;
        return ctx.Rearrange(parents, indices, kvh, slots, children);
    }

    /// <summary>Pads the token axis to whole clusters (parents with two stages) with shared zeros (masked out after the
    /// gather, or never selected).</summary>
    private SecretTensor Pad(MpcContext ctx, SecretTensor scores)
    {
        int whole = Parents is null ? Children * ChildSize : Parents.Shape[2] * ParentSize;
        int padding = whole - CacheLength;
        if (padding == 0) return scores;
        int kvh = scores.Shape[0], g = scores.Shape[1];
        var indices = new int[kvh * g * whole];
        for (int r = 0, at = 0; r < kvh * g; r++)
            for (int t = 0; t < whole; t++) indices[at++] = t < CacheLength ? r * CacheLength + t : -1;
        return ctx.Rearrange(scores, indices, kvh, g, whole);
    }
}
