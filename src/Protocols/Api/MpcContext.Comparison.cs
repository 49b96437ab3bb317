using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    /// <summary>
    /// Arithmetic shares of the top bit of x (x &lt; 0 read as a signed integer). Bit decomposition of the two
    /// summands the scheme splits x into, then only the carry into bit 63 by a log-depth tree (Brent-Kung
    /// up-sweep): generate G = u AND v (one round), six levels of (G, P) combination whose AND operands are
    /// packed to the bits still needed (64, 32, 16, 8, 4, 1 per element), then one bit-to-arithmetic round.
    /// </summary>
    /// <summary>Elements per comparison batch: bounds the working set (~240 bytes per element per party).</summary>
    public const int ComparisonChunk = 1 << 22;

    internal Share Msb(Share x)
    {
        if (x.Length <= ComparisonChunk) return MsbBatch(x);
        // Sequential chunks: each costs the comparison's rounds again, but memory stays bounded.
        var parts = new List<Share>();
        for (int off = 0; off < x.Length; off += ComparisonChunk)
            parts.Add(MsbBatch(x.Slice(off, Math.Min(ComparisonChunk, x.Length - off))));
        return Share.Concat(parts.ToArray());
    }

    private Share MsbBatch(Share x)
    {
        int n = x.Length;
        var (u, v) = _scheme.SplitForAdder(x);
        var g = _scheme.And(u, v).C;     // fresh arrays: updated in place below
        int comps = g.Length;
        var p = new ulong[comps][];
        var top = new ulong[comps][];
        for (int c = 0; c < comps; c++)
        {
            var (uc, vc, gc) = (u.C[c], v.C[c], g[c]);
            var (pc, tc) = (p[c] = new ulong[n], top[c] = new ulong[n]);
            for (int i = 0; i < n; i++)
            {
                ulong pv = uc[i] ^ vc[i];
                tc[i] = pv >> 63;
                // A dummy position 0 makes the 64-position tree yield the carry out of bits 0..62.
                pc[i] = pv << 1;
                gc[i] <<= 1;
            }
        }
        for (int level = 0; level < 6; level++)
        {
            int s = 1 << level;
            ulong mask = LevelMask(2 * s);
            int cnt = 32 >> level;
            // Per element the AND operands are (P_hi, P_hi) and (G_lo, P_lo), compacted to the 2*cnt live bits
            // (the last level needs only P_hi AND G_lo: one bit).
            int bits = level < 5 ? 2 * cnt : 1;
            int per = 64 / bits;
            int words = BitPack.PackedWords(n, bits);
            var xs = new ulong[comps][];
            var ys = new ulong[comps][];
            for (int c = 0; c < comps; c++)
            {
                var (gc, pc) = (g[c], p[c]);
                var (xw, yw) = (xs[c] = new ulong[words], ys[c] = new ulong[words]);
                for (int i = 0; i < n; i++)
                {
                    ulong phi = BitPack.Extract(pc[i] >> s, mask), glo = BitPack.Extract(gc[i], mask);
                    ulong xo, yo;
                    if (level < 5) { xo = phi | (phi << cnt); yo = glo | (BitPack.Extract(pc[i], mask) << cnt); }
                    else { xo = phi; yo = glo; }
                    int sh = (i % per) * bits;
                    xw[i / per] |= xo << sh;
                    yw[i / per] |= yo << sh;
                }
            }
            var r = _scheme.And(new Share(words, xs), new Share(words, ys)).C;
            ulong field = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
            ulong low = (1UL << cnt) - 1;
            for (int c = 0; c < comps; c++)
            {
                var (gc, pc, rc) = (g[c], p[c], r[c]);
                for (int i = 0; i < n; i++)
                {
                    ulong f = (rc[i / per] >> ((i % per) * bits)) & field;
                    ulong ghi = (gc[i] >> s) & mask;
                    if (level < 5)
                    {
                        gc[i] = ghi ^ BitPack.Deposit(f & low, mask);
                        pc[i] = BitPack.Deposit(f >> cnt, mask);
                    }
                    else gc[i] = ghi ^ f;
                }
            }
        }
        for (int c = 0; c < comps; c++)
        {
            var (gc, tc) = (g[c], top[c]);
            for (int i = 0; i < n; i++) tc[i] ^= gc[i] & 1;
        }
        return _scheme.BitToArith(new Share(n, top));
    }

    private static ulong LevelMask(int period)
    {
        ulong m = 0;
        for (int i = 0; i < 64; i += period) m |= 1UL << i;
        return m;
    }

    /// <summary>[x &lt; 0] as a secret 0/1 tensor (scale 0).</summary>
    public SecretTensor LessThanZero(SecretTensor x)
    {
        using var scope = Scope("compare");
        return T(x.Shape, 0, Msb(x.Data));
    }

    /// <summary>[a &gt; b] as a secret 0/1 tensor.</summary>
    public SecretTensor GreaterThan(SecretTensor a, SecretTensor b) => LessThanZero(Sub(b, a));

    /// <summary>[a &lt; b] as a secret 0/1 tensor.</summary>
    public SecretTensor LessThan(SecretTensor a, SecretTensor b) => LessThanZero(Sub(a, b));

    /// <summary>DReLU: [x &gt;= 0].</summary>
    public SecretTensor DRelu(SecretTensor x) => OneMinus(LessThanZero(x));

    private SecretTensor OneMinus(SecretTensor bit) => T(bit.Shape, 0, _scheme.AddPublic(bit.Data.Neg(), Fill(bit.Length, 1)));

    private static ulong[] Fill(int n, ulong v)
    {
        var a = new ulong[n];
        Array.Fill(a, v);
        return a;
    }

    /// <summary>cond ? a : b for a secret 0/1 cond (one multiplication round, no truncation).</summary>
    public SecretTensor Select(SecretTensor cond, SecretTensor a, SecretTensor b)
    {
        using var scope = Scope("select");
        var diff = Sub(a, b);
        return Add(b, Mul(cond, diff));
    }

    public SecretTensor Relu(SecretTensor x)
    {
        using var scope = Scope("relu");
        return Mul(x, DRelu(x));
    }

    private sealed record TreeLevel(Share Choice, int Half, bool Odd, int Len);

    /// <summary>Tournament along the last axis: per level one comparison and one select on all rows at once.</summary>
    private (Share Max, List<TreeLevel> Levels) MaxTree(SecretTensor x)
    {
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        var cur = x.Data;
        int len = n;
        var levels = new List<TreeLevel>();
        while (len > 1)
        {
            int h = len / 2;
            bool odd = len % 2 == 1;
            var ia = new int[rows * h];
            var ib = new int[rows * h];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < h; j++) { ia[r * h + j] = r * len + j; ib[r * h + j] = r * len + h + j; }
            var a = cur.Gather(ia);
            var b = cur.Gather(ib);
            var diff = b.Sub(a);
            var c = Msb(a.Sub(b));              // [a < b]: take b
            var m = a.Add(_scheme.MulRaw(c, diff));
            int next = h + (odd ? 1 : 0);
            if (odd)
            {
                var carry = cur.Gather(Enumerable.Range(0, rows).Select(r => r * len + len - 1).ToArray());
                var both = Share.Concat(m, carry);
                var idx = new int[rows * next];
                for (int r = 0; r < rows; r++)
                {
                    for (int j = 0; j < h; j++) idx[r * next + j] = r * h + j;
                    idx[r * next + h] = rows * h + r;
                }
                m = both.Gather(idx);
            }
            levels.Add(new TreeLevel(c, h, odd, len));
            cur = m;
            len = next;
        }
        return (cur, levels);
    }

    /// <summary>
    /// Maximum along the last axis by a 4-ary tournament (values only; <see cref="MaxTree"/> keeps the choice bits
    /// for arg-max). When ⌈log2 n⌉ is odd the first level takes pairs instead. Each level splits a row into groups
    /// of 4 (the last one may hold 1–3) and compares all pairs of a
    /// group in one batched comparison: c_ij = [x_i &lt; x_j] for i &lt; j. Element i wins its group when it beats every
    /// other (ties to the lower index): w_ij = 1 − c_ij for j &gt; i and c_ji for j &lt; i; with exactly one winner,
    /// max = Σ_i x_i Π_j w_ij. For a group of 4 that is P_i = w_ij1·w_ij2 and Q_i = w_ij3·x_i in one round of ring
    /// products, then Σ_i P_i·Q_i in a second; a level of pairs only needs the first. All products are bit × bit or
    /// bit × value, so none truncates. Rounds per level: compare + 2 (compare + 1 when every group has ≤ 2), so
    /// 10·b + 11·(⌈log2 n⌉ − b)/2 in 3pc with b = ⌈log2 n⌉ mod 2, against 10·⌈log2 n⌉ for the binary tree.
    /// </summary>
    private Share MaxQuad(SecretTensor x)
    {
        int rows = x.Length / Math.Max(1, x.LastDim);
        var cur = x.Data;
        int len = x.LastDim;
        // An odd number of halvings needs one pairwise level: it goes first, where it costs the fewest bytes.
        int gs = CeilLog2(len) % 2 == 1 ? 2 : 4;
        while (len > 1)
        {
            int full = len / gs, rem = len % gs, groups = full + (rem > 0 ? 1 : 0);
            var size = new int[groups];
            for (int g = 0; g < groups; g++) size[g] = g < full ? gs : rem;
            // All pairs (i < j) inside each group, as positions within one row; pairAt[i, j - 4g] is its index.
            var pairA = new List<int>();
            var pairB = new List<int>();
            var pairAt = new int[len, 4];
            for (int g = 0; g < groups; g++)
                for (int u = 0; u < size[g]; u++)
                    for (int v = u + 1; v < size[g]; v++)
                    {
                        pairAt[gs * g + u, v] = pairA.Count;
                        pairA.Add(gs * g + u);
                        pairB.Add(gs * g + v);
                    }
            int np = pairA.Count;
            var ia = new int[rows * np];
            var ib = new int[rows * np];
            for (int r = 0; r < rows; r++)
                for (int q = 0; q < np; q++) { ia[r * np + q] = r * len + pairA[q]; ib[r * np + q] = r * len + pairB[q]; }
            var lt = Msb(cur.Gather(ia).Sub(cur.Gather(ib)));                      // [x_i < x_j]
            var ge = _scheme.AddPublic(lt.Neg(), Fill(lt.Length, 1));             // [x_i >= x_j]
            bool second = size.Any(z => z >= 3);

            // One row's pattern. A reference is (kind, local): 0 cur, 1 lt, 2 ge, 3 the constant 1, 4 a round-1 product.
            var l1 = new List<(int K, int L)>();
            var r1 = new List<(int K, int L)>();
            var pRef = new List<(int K, int L)>();
            var qRef = new List<int>();
            var start = new int[groups];
            var others = new int[3];
            (int, int) W(int g, int u, int v) => u < v ? (2, pairAt[gs * g + u, v]) : (1, pairAt[gs * g + v, u]);
            for (int g = 0; g < groups; g++)
            {
                start[g] = qRef.Count;
                int sz = size[g];
                if (sz < 2) continue;
                for (int u = 0; u < sz; u++)
                {
                    int no = 0;
                    for (int v = 0; v < sz; v++) if (v != u) others[no++] = v;
                    l1.Add(W(g, u, others[no - 1]));           // Q_u = w(u, last other) · x_u
                    r1.Add((0, gs * g + u));
                    qRef.Add(l1.Count - 1);
                    if (no == 3)
                    {
                        l1.Add(W(g, u, others[0]));            // P_u = w(u, o1) · w(u, o2)
                        r1.Add(W(g, u, others[1]));
                        pRef.Add((4, l1.Count - 1));
                    }
                    else pRef.Add(no == 2 ? W(g, u, others[0]) : (3, 0));
                }
            }
            int n1 = l1.Count, ne = qRef.Count;
            int offLt = rows * len, offGe = offLt + rows * np, offOne = offGe + rows * np, offProd = offOne + 1;
            int Index(int r, (int K, int L) e) => e.K switch
            {
                0 => r * len + e.L,
                1 => offLt + r * np + e.L,
                2 => offGe + r * np + e.L,
                3 => offOne,
                _ => offProd + r * n1 + e.L,
            };
            var src = Share.Concat(cur, lt, ge, Constant(1, 1));
            var gl = new int[rows * n1];
            var gr = new int[rows * n1];
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < n1; k++) { gl[r * n1 + k] = Index(r, l1[k]); gr[r * n1 + k] = Index(r, r1[k]); }
            var prod1 = _scheme.MulRaw(src.Gather(gl), src.Gather(gr));
            var qs = new int[rows * ne];
            var ps = new int[rows * ne];
            for (int r = 0; r < rows; r++)
                for (int e = 0; e < ne; e++) { qs[r * ne + e] = offProd + r * n1 + qRef[e]; ps[r * ne + e] = Index(r, pRef[e]); }
            var all = Share.Concat(src, prod1);
            var terms = second ? _scheme.MulRaw(all.Gather(ps), all.Gather(qs)) : all.Gather(qs);
            // Next level: per (row, group) the sum of its members' terms, or its lone element carried over.
            int curLen = len;
            var both = Share.Concat(terms, cur);
            cur = both.Map(rows * groups, (sv, d) =>
            {
                for (int r = 0; r < rows; r++)
                    for (int g = 0; g < groups; g++)
                    {
                        ulong acc = 0;
                        if (size[g] == 1) acc = sv[rows * ne + r * curLen + gs * g];
                        else for (int u = 0; u < size[g]; u++) acc += sv[r * ne + start[g] + u];
                        d[r * groups + g] = acc;
                    }
            });
            len = groups;
            gs = 4;
        }
        return cur;
    }

    private static int CeilLog2(int n)
    {
        int l = 0;
        while ((1L << l) < n) l++;
        return l;
    }

    /// <summary>Maximum along the last axis (shape drops the last axis): the 4-ary tournament of <see cref="MaxQuad"/>.</summary>
    public SecretTensor Max(SecretTensor x)
    {
        using var scope = Scope("max");
        return T(x.Shape[..^1], x.Scale, MaxQuad(x));
    }

    /// <summary>Secret one-hot (scale 0) of the position of the maximum along the last axis; ties go to the lowest index.</summary>
    public SecretTensor ArgMax(SecretTensor x)
    {
        using var scope = Scope("argmax");
        return T(x.Shape, 0, ArgMaxShare(x, out _));
    }

    /// <summary>Both the maximum and its one-hot position.</summary>
    public (SecretTensor Max, SecretTensor OneHot) MaxWithArg(SecretTensor x)
    {
        using var scope = Scope("argmax");
        var oh = ArgMaxShare(x, out var max);
        return (T(x.Shape[..^1], x.Scale, max), T(x.Shape, 0, oh));
    }

    /// <summary>Walks the tournament back from the root: each level splits a parent's mask by its choice bit (one product per level).</summary>
    private Share ArgMaxShare(SecretTensor x, out Share max)
    {
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        var (m, levels) = MaxTree(x);
        max = m;
        var mask = Constant(rows, 1);
        for (int li = levels.Count - 1; li >= 0; li--)
        {
            var (c, h, odd, len) = levels[li];
            int parentLen = h + (odd ? 1 : 0);
            var first = new int[rows * h];
            for (int r = 0; r < rows; r++) for (int j = 0; j < h; j++) first[r * h + j] = r * parentLen + j;
            var pa = mask.Gather(first);
            var t = _scheme.MulRaw(pa, c);
            var keepA = pa.Sub(t);
            var parts = odd
                ? Share.Concat(keepA, t, mask.Gather(Enumerable.Range(0, rows).Select(r => r * parentLen + h).ToArray()))
                : Share.Concat(keepA, t);
            var idx = new int[rows * len];
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < h; j++)
                {
                    idx[r * len + j] = r * h + j;
                    idx[r * len + h + j] = rows * h + r * h + j;
                }
                if (odd) idx[r * len + len - 1] = 2 * rows * h + r;
            }
            mask = parts.Gather(idx);
        }
        return mask;
    }

    /// <summary>
    /// Top-k along the last axis with a public k: k rounds of arg-max, each winner knocked out by subtracting a
    /// large public constant times its one-hot (local). Returns a secret one-hot tensor [..., k, n] (scale 0),
    /// rows ordered from the largest. Values must lie within +-2^20.
    /// </summary>
    public SecretTensor TopK(SecretTensor x, int k)
    {
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k));
        using var scope = Scope("topk");
        ulong big = 1UL << (x.Scale + 24);
        var cur = x;
        var picks = new Share[k];
        for (int t = 0; t < k; t++)
        {
            picks[t] = ArgMaxShare(cur, out _);
            if (t + 1 < k) cur = T(cur.Shape, cur.Scale, cur.Data.Sub(picks[t].Scale(big)));
        }
        var all = Share.Concat(picks);
        var idx = new int[rows * k * n];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < k; t++)
                for (int j = 0; j < n; j++) idx[(r * k + t) * n + j] = t * rows * n + r * n + j;
        var shape = x.Shape[..^1].Concat(new[] { k, n }).ToArray();
        return T(shape, 0, all.Gather(idx));
    }

    /// <summary>Oblivious gather: a secret one-hot [..., k, n] times a secret [n, d] (or batched [..., n, d]) matrix.</summary>
    public SecretTensor Gather(SecretTensor oneHot, SecretTensor matrix)
    {
        using var scope = Scope("gather");
        return MatMul(oneHot, matrix);
    }
}
