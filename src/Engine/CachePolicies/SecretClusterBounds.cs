using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The private counterpart of <see cref="ClusterBounds"/> for one layer: per-channel max and min of the keys of every
/// child cluster (and, with the hierarchy, every parent) of the secret cache, and their products with a query.
/// <para>The newest child and the newest parent are always selected (forced, at public rows), so their bounds are
/// never scored: a cluster's bounds are computed once, at the step after it fills (a max over its keys, or over its
/// children for a parent), and most steps run no comparison here. The plaintext's bounds of the newest clusters are
/// likewise never used.</para>
/// <para>The complete clusters' bounds are rows of a <see cref="GrowingMatrix"/> (max and min of a cluster, in the
/// order the clusters complete), so that the product with the step's query opens only the query and the new rows:
/// multiplying a fresh bounds matrix opened all of it every step (at MPCache's paper shape, context 8192, 3.8 MB of
/// the busiest party's 12.3 MB).</para>
/// </summary>
public sealed class SecretClusterBounds(MpcContext ctx, int childSize, int parentSize, bool hierarchy)
{
    private SecretTensor? _childMax, _childMin;                           // complete children only, [kvh, clusters, hs]: parents' bounds come from them
    private GrowingMatrix? _rows;                                          // the same bounds as product rows
    private readonly List<int> _childMaxRow = [], _childMinRow = [], _parentMaxRow = [], _parentMinRow = [];  // rows per cluster
    private int _length = -1;

    /// <summary>Brings the bounds up to the cache <paramref name="keys"/> [kvh, n, hs]: when the cache grew by one
    /// token, only the clusters that just completed are computed; otherwise every complete cluster is.</summary>
    public void Update(SecretTensor keys)
    {
        int n = keys.Shape[1];
        if (_length >= 0 && n == _length + 1)
        {
            if ((n - 1) % childSize == 0)
            {
                // The previous newest child is complete.
                int done = CacheBudgets.Clusters(n, childSize) - 2;
                var own = ctx.Slice(keys, 1, done * childSize, childSize);            // [kvh, child, hs]
                var (mx, mn) = MaxMin(own, own);
                _childMax = Append(_childMax, mx);
                _childMin = Append(_childMin, mn);
                var newRows = new List<SecretTensor> { mx, mn };
                _childMaxRow.Add(RowCount);
                _childMinRow.Add(RowCount + 1);
                if (hierarchy && (n - 1) % parentSize == 0)
                {
                    int per = parentSize / childSize, full = CacheBudgets.Clusters(n, parentSize) - 2;
                    var (pmx, pmn) = MaxMin(ctx.Slice(_childMax, 1, full * per, per), ctx.Slice(_childMin, 1, full * per, per));
                    newRows.Add(pmx);
                    newRows.Add(pmn);
                    _parentMaxRow.Add(RowCount + 2);
                    _parentMinRow.Add(RowCount + 3);
                }
                _rows = ctx.Grow(_rows, ctx.Concat(newRows, 1));
            }
        }
        else
            Rebuild(keys);
        _length = n;
    }

    /// <summary>The products of the query <paramref name="q"/> [kvh, 1, hs] with the bounds, [kvh, 1, 2·m] laid out as
    /// q·max of every cluster, then q·min of every cluster, the clusters being the parents then the children
    /// (<paramref name="withParents"/>) or the children alone; the newest cluster of each level holds a shared zero
    /// (it is forced, never scored). One product that opens q alone (and the rows appended since the last one).</summary>
    public SecretTensor Products(SecretTensor q, int children, int parents, bool withParents, bool truncate)
    {
        int kvh = q.Shape[0];
        var order = new List<int>();                          // a bound's row, −1 for the newest clusters'
        foreach (var (parentRows, childRows) in new[] { (_parentMaxRow, _childMaxRow), (_parentMinRow, _childMinRow) })
        {
            if (withParents)
                for (int p = 0; p < parents; p++) order.Add(p < parentRows.Count ? parentRows[p] : -1);
            for (int c = 0; c < children; c++) order.Add(c < childRows.Count ? childRows[c] : -1);
        }
        // A selection runs only when some candidate is neither the first nor the newest cluster, so a complete one exists.
        if (_rows is null) throw new InvalidOperationException("no cluster is complete yet: nothing can be scored");
        var all = ctx.MatMul(q, _rows, transposeB: true, truncate: truncate);  // [kvh, 1, rows]
        int rows = RowCount;
        var indices = new int[kvh * order.Count];
        for (int h = 0, at = 0; h < kvh; h++)
            foreach (int r in order) indices[at++] = r < 0 ? -1 : h * rows + r;
        return ctx.Rearrange(all, indices, kvh, 1, order.Count);
    }

    /// <summary>Every complete cluster's bounds from the keys, on a new product matrix.</summary>
    private void Rebuild(SecretTensor keys)
    {
        int kvh = keys.Shape[0], n = keys.Shape[1], hs = keys.Shape[2];
        int done = CacheBudgets.Clusters(n, childSize) - 1;   // the newest child is never scored
        foreach (var list in new[] { _childMaxRow, _childMinRow, _parentMaxRow, _parentMinRow }) list.Clear();
        _childMax = _childMin = null;
        _rows = null;
        if (done == 0) return;
        var own = ctx.Reshape(ctx.Slice(keys, 1, 0, done * childSize), kvh * done, childSize, hs);
        var (max, min) = MaxMin(own, own);
        _childMax = ctx.Reshape(max, kvh, done, hs);
        _childMin = ctx.Reshape(min, kvh, done, hs);
        var rows = new List<SecretTensor> { _childMax, _childMin };
        for (int c = 0; c < done; c++)
        {
            _childMaxRow.Add(c);
            _childMinRow.Add(done + c);
        }
        if (hierarchy)
        {
            int per = parentSize / childSize, full = CacheBudgets.Clusters(n, parentSize) - 1;
            if (full > 0)
            {
                var (pmx, pmn) = MaxMin(ctx.Reshape(ctx.Slice(_childMax, 1, 0, full * per), kvh * full, per, hs),
                                        ctx.Reshape(ctx.Slice(_childMin, 1, 0, full * per), kvh * full, per, hs));
                rows.Add(ctx.Reshape(pmx, kvh, full, hs));
                rows.Add(ctx.Reshape(pmn, kvh, full, hs));
                for (int p = 0; p < full; p++)
                {
                    _parentMaxRow.Add(2 * done + p);
                    _parentMinRow.Add(2 * done + full + p);
                }
            }
        }
        _rows = ctx.Grow(null, ctx.Concat(rows, 1));
    }

    private int RowCount => _rows?.Value.Shape[1] ?? 0;

    private SecretTensor Append(SecretTensor? x, SecretTensor row) => x is null ? row : ctx.Concat([x, row], 1);

    /// <summary>Max of <paramref name="forMax"/> and min of <paramref name="forMin"/> over axis −2 ([..., m, hs] →
    /// [..., 1, hs]), both in one comparison tournament.</summary>
    private (SecretTensor Max, SecretTensor Min) MaxMin(SecretTensor forMax, SecretTensor forMin)
    {
        int rows = forMax.Length / (forMax.Shape[^2] * forMax.Shape[^1]), hs = forMax.Shape[^1];
        var shape = forMax.Shape[..^2].Append(1).Append(hs).ToArray();
        var both = ctx.Max(ctx.Concat([ctx.Transpose(forMax), ctx.Neg(ctx.Transpose(forMin))], 0));  // [2·rows·hs]
        return (ctx.Reshape(ctx.Slice(ctx.Reshape(both, 2 * rows * hs), 0, 0, rows * hs), shape),
                ctx.Neg(ctx.Reshape(ctx.Slice(ctx.Reshape(both, 2 * rows * hs), 0, rows * hs, rows * hs), shape)));
    }
}
