using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The public structure of a selection's one-hot [rows, k, n] as <see cref="SecretSelection"/> builds it: its first
/// rows are public (row b picks column <see cref="PublicColumns"/>[b]), and each later row b′ is a bucket's winner
/// among <see cref="Members"/>[b′] (−1: padding), <see cref="Compact"/> [rows, buckets, width] (scale 0) holding
/// which. Every column lies in at most one row's support, so a product with the one-hot needs only these entries: a
/// product with the dense one-hot opened all k·n of its entries, most of them public zeros (the per-token top-k
/// baseline at the paper's shape and 2048 tokens: 410 × 2048 per head, 430 MB per step and party for its gather and
/// scatter).
/// </summary>
public sealed record OneHotLayout(int[] PublicColumns, int[][] Members, SecretTensor? Compact)
{
    private int Width => Members.Length == 0 ? 0 : Members[0].Length;

    /// <summary>OneHotᵀ·x: row b's vector of <paramref name="x"/> [rows, k, W] placed at the column row b picks, zeros
    /// elsewhere: [rows, n, W], at x's scale (exact). A public row moves locally; the buckets' rows take one batched outer
    /// product of each bucket's one-hot with its row (width + W words per bucket opened, not n).</summary>
    public SecretTensor Scatter(MpcContext ctx, SecretTensor x, int n)
    {
        int rows = x.Shape[0], w = x.Shape[2], pub = PublicColumns.Length, r = Members.Length, width = Width;
        var sources = new List<SecretTensor>();
        if (pub > 0) sources.Add(ctx.Reshape(ctx.Slice(x, 1, 0, pub), rows * pub * w));
        if (r > 0)
        {
            var onehot = ctx.Reshape(Compact!, rows * r, width, 1);
            var vectors = ctx.Reshape(ctx.Slice(x, 1, pub, r), rows * r, 1, w);
            // A bucket's padding positions are placed nowhere (below): their outputs are discarded, and the helper
            // deals nothing for them.
            var padding = new bool[rows * r * width * w];
            for (int h = 0, at = 0; h < rows; h++)
                for (int b = 0; b < r; b++)
                    for (int p = 0; p < width; p++)
                        for (int e = 0; e < w; e++, at++) padding[at] = Members[b][p] < 0;
            sources.Add(ctx.Reshape(ctx.MatMul(onehot, vectors, truncate: false, Array.IndexOf(padding, true) >= 0 ? padding : null), rows * r * width * w));
        }
        var source = new int[n];                          // per column: its place in the sources (per row and word), −1 none
        Array.Fill(source, -1);
        for (int b = 0; b < pub; b++) source[PublicColumns[b]] = b;
        for (int b = 0; b < r; b++)
            for (int p = 0; p < width; p++)
                if (Members[b][p] >= 0) source[Members[b][p]] = pub + b * width + p;
        var indices = new int[rows * n * w];
        for (int h = 0, at = 0; h < rows; h++)
            for (int t = 0; t < n; t++)
                for (int e = 0; e < w; e++, at++)
                {
                    int s = source[t];
                    indices[at] = s < 0 ? -1 : s < pub ? (h * pub + s) * w + e : rows * pub * w + (h * r * width + s - pub) * w + e;
                }
        var all = sources.Count == 1 ? sources[0] : ctx.Concat(sources, 0);
        return ctx.Rearrange(all, indices, rows, n, w);
    }

    /// <summary>OneHot·items: the picked items' vectors [rows, k, W] out of <paramref name="items"/> [rows, n, W], at their
    /// scale (exact). A public row moves locally; the buckets' rows take one batched product of each bucket's one-hot
    /// with its members' vectors (width·(1 + W) words per bucket opened, not k·n).</summary>
    public SecretTensor Gather(MpcContext ctx, SecretTensor items)
    {
        int rows = items.Shape[0], n = items.Shape[1], w = items.Shape[2], pub = PublicColumns.Length, r = Members.Length, width = Width;
        var parts = new List<SecretTensor>();
        if (pub > 0)
        {
            var idx = new int[rows * pub * w];
            for (int h = 0, at = 0; h < rows; h++)
                for (int b = 0; b < pub; b++)
                    for (int e = 0; e < w; e++) idx[at++] = (h * n + PublicColumns[b]) * w + e;
            parts.Add(ctx.Rearrange(items, idx, rows, pub, w));
        }
        if (r > 0)
        {
            var idx = new int[rows * r * width * w];
            for (int h = 0, at = 0; h < rows; h++)
                for (int b = 0; b < r; b++)
                    for (int p = 0; p < width; p++)
                        for (int e = 0; e < w; e++, at++) idx[at] = Members[b][p] < 0 ? -1 : (h * n + Members[b][p]) * w + e;
            var members = ctx.Rearrange(items, idx, rows * r, width, w);
            var picked = ctx.MatMul(ctx.Reshape(Compact!, rows * r, 1, width), members, truncate: false);   // [rows·r, 1, W]
            parts.Add(ctx.Reshape(picked, rows, r, w));
        }
        return parts.Count == 1 ? parts[0] : ctx.Concat(parts, 1);
    }
}
