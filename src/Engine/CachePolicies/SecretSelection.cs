using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Selection on shares for the private cache policies: which items are kept stays secret, only how many is public.
/// Top-k is by rank (every pair compared at once: n² comparisons, two comparison rounds in all) rather than by k
/// sequential arg-max rounds, and the kept items are then compacted in ascending index order by a secret one-hot
/// matrix, so that a gather keeps the cache in position order as the plaintext policy does.
/// </summary>
public static class SecretSelection
{
    /// <summary>Secret 0/1 mask [rows, n] (scale 0) of the k largest scores per row; ties go to the lower index, as
    /// in <see cref="ClusterSelection.TopWithEnds"/> and <see cref="PlainCachePolicy.TopPositions"/>.</summary>
    public static SecretTensor TopKMask(MpcContext ctx, SecretTensor scores, int k)
    {
        using var scope = ctx.Scope("select_topk");
        int n = scores.LastDim, rows = scores.Length / n;
        if (k < 1 || k >= n) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k} of {n}: keeping all (or none) is decided publicly, not here");
        // Distinct keys: score·n plus a tie-breaker that favours lower indices, in the raw units of the score's scale.
        var tie = new double[n];
        for (int i = 0; i < n; i++) tie[i] = (n - 1 - i) / Math.Pow(2, scores.Scale);
        var key = ctx.AddPublic(ctx.MulPublicInt(ctx.Reshape(scores, rows, n), n), tie, [1, n]);
        // beats[r, i, j] = [key_j > key_i]; rank_i = Σ_j beats; kept when fewer than k beat it.
        var diff = ctx.Sub(ctx.Reshape(key, rows, n, 1), ctx.Reshape(key, rows, 1, n));
        var rank = ctx.Sum(ctx.LessThanZero(diff));                              // [rows, n], scale 0
        return ctx.LessThanZero(ctx.AddPublic(rank, -k));
    }

    /// <summary>Secret one-hot [rows, k, n] whose row b picks the (b+1)-th kept item (ascending index) of a mask with
    /// exactly k ones per row.</summary>
    public static SecretTensor Compact(MpcContext ctx, SecretTensor mask, int k)
    {
        using var scope = ctx.Scope("select_compact");
        int n = mask.LastDim, rows = mask.Length / n;
        // prefix_i = Σ_{j≤i} mask_j, by local additions (a public product would truncate, and truncation may be one
        // unit off, which an equality test cannot afford).
        var m2 = ctx.Reshape(mask, rows, n);
        var columns = new SecretTensor[n];
        columns[0] = ctx.Slice(m2, 1, 0, 1);
        for (int i = 1; i < n; i++) columns[i] = ctx.Add(columns[i - 1], ctx.Slice(m2, 1, i, 1));
        var prefix = ctx.Concat(columns, 1);                                     // [rows, n], scale 0
        var targets = new double[k];
        for (int b = 0; b < k; b++) targets[b] = -(b + 1);
        // equal[r, b, i] = [prefix_i == b + 1] = [d² − 1 < 0] with the integer d = prefix_i − (b + 1): one ring
        // product (no truncation at scale 0) and one comparison, instead of comparing d and −d.
        var p3 = ctx.Reshape(prefix, rows, 1, n);
        var d = ctx.AddPublic(ctx.Concat(Enumerable.Repeat(p3, k).ToArray(), 1), targets, [1, k, 1]);
        var equal = ctx.LessThanZero(ctx.AddPublic(ctx.Mul(d, d), -1));
        return ctx.Mul(equal, ctx.Reshape(mask, rows, 1, n));
    }
}
