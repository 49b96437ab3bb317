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

    /// <summary>Maximum along the last axis (shape drops the last axis). ceil(log2 n) levels of compare + select.</summary>
    public SecretTensor Max(SecretTensor x)
    {
        using var scope = Scope("max");
        return T(x.Shape[..^1], x.Scale, MaxTree(x).Max);
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
