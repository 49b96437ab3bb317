using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    /// <summary>
    /// Result scale of a product: f, or the smaller operand scale when both exceed f; no truncation when the
    /// raw product's scale does not exceed it (bit times value, integer times integer).
    /// </summary>
    private (int Scale, int Trunc) ProductScale(int sa, int sb)
    {
        int target = Math.Max(FracBits, Math.Min(sa, sb));
        int sum = sa + sb;
        return sum <= target ? (sum, 0) : (target, sum - target);
    }

    private Share MulShares(Share a, Share b, int trunc, bool pair)
    {
        var scheme = pair ? _pair : _scheme;
        return trunc == 0 ? scheme.MulRaw(a, b) : scheme.MulTrunc(a, b, trunc);
    }

    /// <summary>Elementwise product (broadcasting), truncated back to fixed point.</summary>
    public SecretTensor Mul(SecretTensor a, SecretTensor b)
    {
        using var scope = Scope("mul");
        var shape = Shapes.Broadcast(a.Shape, b.Shape);
        var (scale, trunc) = ProductScale(a.Scale, b.Scale);
        bool pair = a.Pair || b.Pair;
        return T(shape, scale, MulShares(Expand(a, shape, pair), Expand(b, shape, pair), trunc, pair), pair);
    }

    /// <summary>Elementwise product (broadcasting) with no truncation: the result's scale is the sum of the operands'
    /// (one round in both schemes), for a product whose truncation a later op folds in (rsqrt's Σx²).</summary>
    public SecretTensor MulExact(SecretTensor a, SecretTensor b)
    {
        using var scope = Scope("mul");
        var shape = Shapes.Broadcast(a.Shape, b.Shape);
        bool pair = a.Pair || b.Pair;
        return T(shape, a.Scale + b.Scale, (pair ? _pair : _scheme).MulRaw(Expand(a, shape, pair), Expand(b, shape, pair)), pair);
    }

    /// <summary>Several independent products in one protocol run: they share rounds (one round trip for all).</summary>
    public SecretTensor[] MulBatch(IReadOnlyList<SecretTensor> a, IReadOnlyList<SecretTensor> b)
    {
        if (a.Count != b.Count) throw new ArgumentException("operand lists differ in length");
        using var scope = Scope("mul");
        var groups = new Dictionary<(int, int), List<int>>();
        var shapes = new int[a.Count][];
        var left = new Share[a.Count];
        var right = new Share[a.Count];
        bool pair = a.Any(x => x.Pair) || b.Any(x => x.Pair);
        for (int i = 0; i < a.Count; i++)
        {
            shapes[i] = Shapes.Broadcast(a[i].Shape, b[i].Shape);
            left[i] = Expand(a[i], shapes[i], pair);
            right[i] = Expand(b[i], shapes[i], pair);
            var key = ProductScale(a[i].Scale, b[i].Scale);
            if (!groups.TryGetValue(key, out var l)) groups[key] = l = new List<int>();
            l.Add(i);
        }
        var result = new SecretTensor[a.Count];
        foreach (var ((scale, trunc), members) in groups)
        {
            var prod = MulShares(Share.Concat(members.Select(i => left[i]).ToArray()), Share.Concat(members.Select(i => right[i]).ToArray()), trunc, pair);
            int off = 0;
            foreach (var i in members)
            {
                result[i] = T(shapes[i], scale, prod.Slice(off, left[i].Length), pair);
                off += left[i].Length;
            }
        }
        return result;
    }

    /// <summary>
    /// Matrix product over the last two axes: a is [..., m, k]; b is [k, n] (shared by the whole batch) or
    /// [..., k, n] with the same leading axes. One protocol run for the whole batch.
    /// </summary>
    public SecretTensor MatMul(SecretTensor a, SecretTensor b) => MatMul(a, b, truncate: true);

    /// <summary>As <see cref="MatMul(SecretTensor, SecretTensor)"/>; with <paramref name="truncate"/> false the result
    /// stays at the sum of the scales, for a consumer that folds the truncation into its own opening or needs no
    /// truncation (an order, a gather). <paramref name="discard"/> (public, one per output) marks outputs the caller
    /// throws away (a scatter's padding): on the 2-out-of-2 form the dealer sends nothing for them and they are left
    /// undefined.</summary>
    public SecretTensor MatMul(SecretTensor a, SecretTensor b, bool truncate, bool[]? discard = null)
    {
        using var scope = Scope("matmul");
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException("matmul needs rank >= 2 operands");
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k) throw new ArgumentException($"inner dimensions differ: {k} vs {b.Shape[^2]}");
        int batch = a.Length / (m * k);
        bool shared = b.Rank == 2;
        if (!shared && b.Length / (k * n) != batch) throw new ArgumentException("batch dimensions differ");
        var shape = (int[])a.Shape.Clone();
        shape[^1] = n;
        var (scale, trunc) = truncate ? ProductScale(a.Scale, b.Scale) : (a.Scale + b.Scale, 0);
        bool pair = a.Pair || b.Pair;
        if (discard is not null && discard.Length != batch * m * n) throw new ArgumentException($"one discard flag per output ({batch * m * n}), not {discard.Length}");
        return T(shape, scale, (pair ? _pair : _scheme).MatMul(InForm(a, pair), InForm(b, pair), batch, m, k, n, shared, trunc, discard), pair);
    }

    /// <summary>
    /// Appends <paramref name="rows"/> [batch, r, cols] to a growing matrix (null: starts one). The new rows get fresh
    /// Beaver masks, opened (batch·r·cols elements per party) in the same exchange as the next product with the
    /// matrix, so an append costs no round of its own (in 3pc on the 2-out-of-2 form, where the products with the
    /// matrix run); earlier rows are not touched.
    /// </summary>
    public GrowingMatrix Grow(GrowingMatrix? matrix, SecretTensor rows) => Grow([matrix], [rows])[0];

    /// <summary>Several <see cref="Grow(GrowingMatrix?, SecretTensor)"/> at once (the keys and the values of a layer).</summary>
    public GrowingMatrix[] Grow(IReadOnlyList<GrowingMatrix?> matrices, IReadOnlyList<SecretTensor> rows)
    {
        if (matrices.Count != rows.Count) throw new ArgumentException("one block of rows per matrix");
        var parts = new GrowingPart[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            var (matrix, r) = (matrices[i], rows[i]);
            if (r.Rank != 3) throw new ArgumentException("a growing matrix is [batch, rows, cols]");
            if (matrix is not null && (matrix.Value.Shape[0] != r.Shape[0] || matrix.Value.Shape[2] != r.Shape[2] || matrix.Value.Scale != r.Scale))
                throw new ArgumentException("appended rows must match the matrix's batch, columns and scale");
            parts[i] = new GrowingPart(matrix?.Rhs, InForm(r, TwoForms), r.Shape[0], r.Shape[1], r.Shape[2]);
        }
        using var scope = Scope("grow");
        var grown = (TwoForms ? _pair : _scheme).Grow(parts);
        return rows.Select((r, i) =>
        {
            var value = T(r.Shape, r.Scale, parts[i].Rows, TwoForms);
            return new GrowingMatrix(matrices[i] is { } m ? Concat([m.Value, value], 1) : value, grown[i]);
        }).ToArray();
    }

    /// <summary>a [batch, m, k] times the growing matrix b [batch, rows, cols] (k = rows), or times its transpose
    /// (k = cols); truncated back to fixed point unless <paramref name="truncate"/> is false: then the result stays at
    /// the sum of the scales, for products of which only a part is used (truncated later, e.g. after a gather).
    /// <paramref name="zeros"/> (public, one per element of a) marks entries of a that are 0 in every share (a causal
    /// softmax's masked probabilities): on the 2-out-of-2 form their Beaver openings are skipped. <paramref name="discard"/>
    /// (public, one per output) marks outputs the caller throws away (the scores a causal mask masks): on the
    /// 2-out-of-2 form the dealer sends nothing for them and they are left undefined.</summary>
    public SecretTensor MatMul(SecretTensor a, GrowingMatrix b, bool transposeB = false, bool truncate = true, bool[]? zeros = null, bool[]? discard = null)
    {
        using var scope = Scope("matmul");
        var rhs = b.Rhs;
        int k = transposeB ? rhs.Cols : rhs.Rows, n = transposeB ? rhs.Rows : rhs.Cols;
        if (a.Rank != 3 || a.Shape[0] != rhs.Batch || a.Shape[2] != k)
            throw new ArgumentException($"a must be [{rhs.Batch}, m, {k}] for this growing matrix");
        var (scale, trunc) = truncate ? ProductScale(a.Scale, b.Value.Scale) : (a.Scale + b.Value.Scale, 0);
        bool pair = b.Value.Pair;
        if (zeros is not null && zeros.Length != a.Length) throw new ArgumentException($"one zero flag per element of a ({a.Length}), not {zeros.Length}");
        if (discard is not null && discard.Length != rhs.Batch * a.Shape[1] * n)
            throw new ArgumentException($"one discard flag per output ({rhs.Batch * a.Shape[1] * n}), not {discard.Length}");
        return T([rhs.Batch, a.Shape[1], n], scale, (pair ? _pair : _scheme).MatMulGrowing(InForm(a, pair), b.Value.Data, rhs, a.Shape[1], transposeB, trunc, zeros, discard), pair);
    }

    /// <summary>
    /// Marks a [k, n] matrix (a weight) for repeated products. Its Beaver mask is opened here, once (one round, k*n
    /// elements per party); every later <see cref="MatMul(SecretTensor, PreparedMatrix)"/> opens only the activation
    /// side. In 3pc the products run on the 2-out-of-2 form with P2 dealing (as the nonlinear gates do), so the
    /// matrix is prepared on that form: the outputs then feed the gates with no conversion, and their truncations
    /// take one round instead of two.
    /// </summary>
    public PreparedMatrix PrepareWeight(SecretTensor w)
    {
        if (w.Rank != 2) throw new ArgumentException("a prepared matrix is 2-D");
        using var scope = Scope("prepare_weight");
        var (scheme, shares, pair) = TwoForms ? (_pair, AsPair(w), true) : (_scheme, w.Data, false);
        var prepared = scheme.Prepare(shares, w.Shape[0], w.Shape[1]);
        return new PreparedMatrix(w.Shape, w.Scale, prepared, pair, RolesShift);
    }

    /// <summary>Product with a prepared weight, truncated back to fixed point unless <paramref name="truncate"/> is false
    /// (then at the sum of the scales, one round less: for a consumer that folds the truncation in).</summary>
    public SecretTensor MatMul(SecretTensor a, PreparedMatrix w, bool truncate = true)
    {
        using var scope = Scope("matmul");
        int k = w.Shape[0], n = w.Shape[1];
        if (a.Shape[^1] != k) throw new ArgumentException($"inner dimensions differ: {a.Shape[^1]} vs {k}");
        var shape = (int[])a.Shape.Clone();
        shape[^1] = n;
        var (scale, trunc) = truncate ? ProductScale(a.Scale, w.Scale) : (a.Scale + w.Scale, 0);
        int rows = a.Length / k;
        if (!w.Pair) return T(shape, scale, _scheme.MatMulPrepared(a.Data, w.Prepared, rows, trunc));
        RequireRoles(w.Roles, "this prepared weight");
        return T(shape, scale, _pair.MatMulPrepared(AsPair(a), w.Prepared, rows, trunc), pair: true);
    }

    /// <summary>Product with a public right-hand matrix [k, n] (or [..., k, n]): local on every share, then one truncation.</summary>
    public SecretTensor MatMulPublic(SecretTensor a, ReadOnlySpan<double> b, int[] bShape)
    {
        using var scope = Scope("matmul_public");
        int m = a.Shape[^2], k = a.Shape[^1], n = bShape[^1];
        if (bShape[^2] != k) throw new ArgumentException($"inner dimensions differ: {k} vs {bShape[^2]}");
        int batch = a.Length / (m * k);
        bool shared = bShape.Length == 2;
        var enc = FixedPoint.FixedPointEncoding.Encode(b, FracBits);
        var shape = (int[])a.Shape.Clone();
        shape[^1] = n;
        var prod = a.Data.Map(batch * m * n, (s, d) => Kernels.Ring.RingMatMul.MultiplyBatched(s, enc, d, batch, m, k, n, shared));
        return T(shape, a.Scale, Of(a).Trunc(prod, FracBits), a.Pair);
    }
}
