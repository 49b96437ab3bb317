using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    /// <summary>Elements per comparison batch: bounds the working set (the per-bit vectors take ~100 bytes per element).</summary>
    public const int ComparisonChunk = 1 << 20;

    /// <summary>Width of a comparison that is exact for every ring value.</summary>
    internal const int FullWidth = 63;

    /// <summary>[x &lt; 0] on the 2-out-of-2 form, in sequential chunks of <see cref="ComparisonChunk"/> (each chunk repeats
    /// the rounds) so that memory stays bounded.</summary>
    private Share PairMsb(Share x) => SignBits(x, FullWidth);

    /// <summary>The comparison gate's [x &lt; 0] for x in [−2^k, 2^k) (low <paramref name="drop"/> bits skipped), in
    /// sequential chunks of <see cref="ComparisonChunk"/> elements: a batch's per-bit vectors take k − drop bytes per
    /// element and party, so an unchunked batch of tens of millions (reciprocal's 63 sub-binade tests on 1M values)
    /// overflowed the arrays' length.</summary>
    private Share SignBits(Share x, int k, int drop = 0)
    {
        if (x.Length <= ComparisonChunk) return _cmp.Sign(x, k, drop: drop);
        var parts = new List<Share>();
        for (int off = 0; off < x.Length; off += ComparisonChunk)
            parts.Add(_cmp.Sign(x.Slice(off, Math.Min(ComparisonChunk, x.Length - off)), k, drop: drop));
        return Share.Concat(parts.ToArray());
    }

    /// <summary>[x &lt; 0] as a secret 0/1 tensor (scale 0), on the 2-out-of-2 form where the gate leaves it.</summary>
    public SecretTensor LessThanZero(SecretTensor x)
    {
        using var scope = Scope("compare");
        return T(x.Shape, 0, PairMsb(AsPair(x)), pair: true);
    }

    /// <summary>[a &gt; b] as a secret 0/1 tensor.</summary>
    public SecretTensor GreaterThan(SecretTensor a, SecretTensor b) => LessThanZero(Sub(b, a));

    /// <summary>[a &lt; b] as a secret 0/1 tensor.</summary>
    public SecretTensor LessThan(SecretTensor a, SecretTensor b) => LessThanZero(Sub(a, b));

    /// <summary>DReLU: [x &gt;= 0].</summary>
    public SecretTensor DRelu(SecretTensor x) => OneMinus(LessThanZero(x));

    private SecretTensor OneMinus(SecretTensor bit) => T(bit.Shape, 0, Of(bit).AddPublic(bit.Data.Neg(), Fill(bit.Length, 1)), bit.Pair);

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

    /// <summary>
    /// Row maxima of x [rows, len] on the 2-out-of-2 form by the helper tournament (<see cref="Circuits.PermutedTournament"/>):
    /// three rounds per level whatever its group size, so the group size trades bytes (g(g − 1)/2 comparisons per g
    /// members) for levels. Groups of 4 while rows are long, 8 from 64 members on where that saves a level, a single
    /// group from 8 on, or from 32 on where the rows are few: for a decode step's 12 rows 512 → 128 → 32 → 1 is three
    /// levels, nine rounds (four, twelve rounds, for many rows). Members must differ by less than 2^diffBits (raw); the
    /// keys size·x + index then fit ⌈log2 size⌉ + 1 bits more.
    /// </summary>
    /// <remarks>With <paramref name="coarse"/> = L &gt; 0 every level compares coarse keys (⌊x / 2^L⌋ up to a carry;
    /// <see cref="Circuits.PermutedTournament.Level"/>): the result is a member within levels · 2^(L+1) of the
    /// maximum, never above it, on keys L − 1 bits narrower.</remarks>
    /// <param name="pairwise">Groups of 2 at every level: half a comparison per member and level instead of 1.5
    /// (groups of 4), for twice the levels (a causal prefill's chunks, where bytes matter more than rounds).</param>
    /// <param name="ring">The ring the maxima are wanted in (64: the full ring). A narrower one (softmax's shift, which
    /// exp opens in a ring of its own) lets every level open its members in fewer bytes
    /// (<see cref="Circuits.PermutedTournament.Level"/>); it must be at least <see cref="MaxRing"/>.</param>
    private Share MaxPair(Share x, int rows, int len, int diffBits, int coarse = 0, bool pairwise = false, int ring = 64)
    {
        var cur = x;
        int keyBits = coarse > 0 ? diffBits - coarse + 1 : diffBits;     // ⌊x / 2^L⌋ plus a carry each
        foreach (int size in pairwise ? Enumerable.Repeat(2, CeilLog2(len)) : GroupSizes(rows, len, keyBits))
        {
            cur = _tour.Level(cur, rows, len, size, KeyWidth(keyBits, size), coarse, ring);
            len = (len + size - 1) / size;
        }
        return cur;
    }

    /// <summary>The narrowest ring, in whole bytes, a maximum of values whose differences stay below 2^diffBits can
    /// open its members in at every level: L + k + 1 − log2 G = diffBits + 3 with coarse keys, diffBits + 2 without
    /// (<see cref="Circuits.PermutedTournament.MinRing"/>; the keys' width k grows with log2 G).</summary>
    private static int MaxRing(int diffBits, int coarse) => RingFor(coarse > 0 ? diffBits + 3 : diffBits + 2);

    /// <summary>The tournament's levels for rows of <paramref name="len"/> members: as many as <see cref="LevelBudget"/>
    /// allows, and within them the group sizes (2 to 8, or one last group of up to 32 where the rows are few) that
    /// compare the fewest key bits, pairs × key width. A decode step's selected tokens (128 members, 12 rows) go
    /// 128 → 19 → 1 in groups of 7 (555 pairs per row) where 4 then 32 took 688, in the same two levels.</summary>
    private static int[] GroupSizes(int rows, int len, int keyBits)
    {
        var memo = new Dictionary<(int, int), (long Cost, int Size)>();
        (long Cost, int Size) Best(int n, int levels)
        {
            if (n <= 1) return (0, 0);
            if (levels == 0) return (long.MaxValue, 0);
            if (memo.TryGetValue((n, levels), out var known)) return known;
            var best = (Cost: long.MaxValue, Size: 0);
            for (int g = 2; g <= n && g <= 32; g++)
            {
                if (g > 8 && !(g == n && (long)rows * n * n <= FinalGroupPairBudget)) continue;
                var rest = Best((n + g - 1) / g, levels - 1);
                if (rest.Cost == long.MaxValue) continue;
                long pairs = (long)(n / g) * g * (g - 1) / 2 + (long)(n % g) * (n % g - 1) / 2;
                long cost = pairs * KeyWidth(keyBits, g) + rest.Cost;
                if (cost < best.Cost) best = (cost, g);
            }
            return memo[(n, levels)] = best;
        }
        var sizes = new List<int>();
        for (int n = len, levels = LevelBudget(rows, len); n > 1; n = (n + sizes[^1] - 1) / sizes[^1], levels--)
            sizes.Add(Best(n, levels).Size);
        return [.. sizes];
    }

    /// <summary>The levels a tournament may take: those of a last group of up to 32 (496 pairs per row) where the rows
    /// are few (a decode step), groups of 8 from 64 members where that saves a level, else groups of 4. Rounds are
    /// three per level, so this fixes the rounds; <see cref="GroupSizes"/> then spends the fewest bytes in them.</summary>
    private static int LevelBudget(int rows, int len)
    {
        int levels = 0;
        for (; len > 1; levels++)
        {
            bool oneGroup = len <= 8 || (len <= 32 && (long)rows * len * len <= FinalGroupPairBudget);
            int size = oneGroup ? len : len <= 64 && Levels(len, 4) > Levels(len, 8) ? 8 : 4;
            len = (len + size - 1) / size;
        }
        return levels;
    }

    /// <summary>Keys size·x + index: differences below 2^(diffBits + ⌈log2 size⌉), plus the sign.</summary>
    private static int KeyWidth(int diffBits, int size) => Math.Min(FullWidth, diffBits + CeilLog2(size) + 1);

    /// <summary>
    /// Row maxima and their one-hot positions [rows, len] (ties to the lowest index) on the 2-out-of-2 form: the helper
    /// tournament's levels, each also returning its winners' one-hot (<see cref="Circuits.PermutedTournament.LevelWithArg"/>),
    /// then walked back from the root, every level below it multiplying its one-hot by its group's winning bit
    /// (one product round per level but the last): three rounds for rows of up to 8 members (32 for a few rows).
    /// </summary>
    /// <remarks>With <paramref name="ring"/> &lt; 64 (at least <see cref="ArgMaxInputRing"/>'s) x need only be right
    /// modulo 2^ring, every level opens its members in it, and the maximum is right in it only.</remarks>
    private Share ArgMaxPair(Share x, int rows, int len, int diffBits, out Share max, int ring = 64) => ArgMaxPair(x, rows, len, diffBits, out max, null, 0, out _, ring);

    /// <summary><see cref="ArgMaxPair(Share, int, int, int, out Share, int)"/> with a payload [rows, len, width] carried by
    /// every level (<see cref="Circuits.PermutedTournament.LevelWithArg"/>): the winner's payload [rows, width] comes
    /// out of the same rounds, each column right in its <paramref name="payloadRings"/> entry's ring (null: 64).</summary>
    private Share ArgMaxPair(Share x, int rows, int len, int diffBits, out Share max, Share? payload, int width, out Share winner, int ring = 64,
        int[]? payloadRings = null)
    {
        var levels = new List<(Share OneHot, int Len, int Size)>();
        var cur = x;
        winner = payload ?? Share.Empty(0, 0);
        int members = len;
        foreach (int size in GroupSizes(rows, len, diffBits))
        {
            cur = _tour.LevelWithArg(cur, rows, members, size, KeyWidth(diffBits, size), out var oneHot, payload is null ? null : winner, width, out var won,
                ring, payload is null ? null : payloadRings);
            if (payload is not null) winner = won;
            levels.Add((oneHot, members, size));
            members = (members + size - 1) / size;
        }
        max = cur;
        if (levels.Count == 0) return _pair.AddPublic(Share.Empty(rows, _pair.Components), Fill(rows, 1));
        var mask = levels[^1].OneHot;
        for (int li = levels.Count - 2; li >= 0; li--)
        {
            var (oneHot, n, size) = levels[li];
            int groups = (n + size - 1) / size;
            var parent = new int[rows * n];
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < n; j++) parent[r * n + j] = r * groups + j / size;
            mask = _pair.MulRaw(oneHot, mask.Gather(parent));
        }
        return mask;
    }

    /// <summary>Differences the public <see cref="Max"/> covers: |x| &lt; 2^56 raw (2^40 at f = 16), so keys 32·x fit 63 bits.</summary>
    private const int MaxDiffBits = 57;

    /// <summary>Rows × members² up to which the tournament ends in one group of up to 32 (12 heads at 32: 12,288).</summary>
    private const long FinalGroupPairBudget = 16384;

    private static int CeilLog2(int n)
    {
        int l = 0;
        while ((1 << l) < n) l++;
        return l;
    }

    /// <summary>Levels of a tournament of groups of <paramref name="g"/> over <paramref name="len"/> members.</summary>
    private static int Levels(int len, int g)
    {
        int levels = 0;
        for (; len > 1; len = (len + g - 1) / g) levels++;
        return levels;
    }

    /// <summary>Maximum along the last axis (shape drops the last axis): the helper tournament of <see cref="MaxPair"/>.</summary>
    public SecretTensor Max(SecretTensor x)
    {
        using var scope = Scope("max");
        int rows = x.Length / Math.Max(1, x.LastDim);
        return T(x.Shape[..^1], x.Scale, MaxPair(AsPair(x), rows, x.LastDim, MaxDiffBits), pair: true);
    }

    /// <summary>Secret one-hot (scale 0) of the position of the maximum along the last axis; ties go to the lowest
    /// index. Entries must differ by less than 2^56 raw (<see cref="Max"/>'s bound), or by less than 2^boundLog2 · 2
    /// (real) when <paramref name="boundLog2"/> states |x| &lt; 2^boundLog2: narrower comparisons, fewer bytes.</summary>
    public SecretTensor ArgMax(SecretTensor x, int? boundLog2 = null)
    {
        using var scope = Scope("argmax");
        return T(x.Shape, 0, ArgMaxShare(x, boundLog2, out _), pair: true);
    }

    /// <summary>Both the maximum and its one-hot position.</summary>
    public (SecretTensor Max, SecretTensor OneHot) MaxWithArg(SecretTensor x)
    {
        using var scope = Scope("argmax");
        var oh = ArgMaxShare(x, null, out var max);
        return (T(x.Shape[..^1], x.Scale, max, pair: true), T(x.Shape, 0, oh, pair: true));
    }

    /// <summary>
    /// The arg-max of x [..., n] and, in the same rounds, the winner's row of <paramref name="payload"/> [..., n, d]
    /// (any scale; returned [..., d] at it): each tournament level opens its members' payloads masked by the helper
    /// and the helper returns shares of the winner's mask (<see cref="Circuits.PermutedTournament.LevelWithArg"/>), so
    /// no product by the one-hot follows. For a selection that goes on to use what it selected.
    /// </summary>
    public (SecretTensor OneHot, SecretTensor Winner) ArgMaxWithPayload(SecretTensor x, SecretTensor payload, int? boundLog2 = null)
    {
        var (oneHot, winners) = ArgMaxWithPayloads(x, [payload], [64], boundLog2);
        return (oneHot, winners[0]);
    }

    /// <summary>
    /// <see cref="ArgMaxWithPayload"/> with several payloads [..., n, d_i] at one scale, each wanted only modulo
    /// 2^<paramref name="rings"/>[i] (its <see cref="SecretTensor.Ring"/> at least that): every level opens payload i,
    /// and the helper returns its winners' masks, in that ring, and the winner i comes back right in it only
    /// (<see cref="SecretTensor.Ring"/>). x may itself be right only in <see cref="ArgMaxInputRing"/>'s ring when
    /// <paramref name="boundLog2"/> is given: the levels open the keys there.
    /// </summary>
    public (SecretTensor OneHot, SecretTensor[] Winners) ArgMaxWithPayloads(SecretTensor x, IReadOnlyList<SecretTensor> payloads, IReadOnlyList<int> rings,
        int? boundLog2 = null)
    {
        using var scope = Scope("argmax");
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        if (payloads.Count == 0 || rings.Count != payloads.Count) throw new ArgumentException("one ring per payload, and at least one payload");
        foreach (var payload in payloads)
        {
            if (payload.Rank != x.Rank + 1 || !payload.Shape[..^1].SequenceEqual(x.Shape))
                throw new ArgumentException($"the payload must be [{string.Join(", ", x.Shape)}, d], not [{string.Join(", ", payload.Shape)}]");
            if (payload.Scale != payloads[0].Scale) throw new ArgumentException("the payloads must share one scale");
        }
        var widths = payloads.Select(p => p.LastDim).ToArray();
        int d = widths.Sum();
        var columnRings = new int[d];
        var parts = new Share[payloads.Count];
        for (int i = 0, at = 0; i < payloads.Count; at += widths[i], i++)
        {
            parts[i] = AsPairInRing(payloads[i], rings[i]);
            Array.Fill(columnRings, rings[i], at, widths[i]);
        }
        var combined = parts.Length == 1 ? parts[0] : Interleave(parts, widths, rows * n);
        int diffBits = boundLog2 is int b ? WidthAt(b + 1, x.Scale) - 1 : MaxDiffBits;
        int ring = boundLog2 is int b2 ? ArgMaxInputRing(x.Scale, b2) : 64;
        var oh = ArgMaxPair(AsPairInRing(x, ring), rows, n, diffBits, out _, combined, d, out var won, ring, columnRings);
        var winners = new SecretTensor[payloads.Count];
        for (int i = 0, at = 0; i < payloads.Count; at += widths[i], i++)
        {
            var idx = new int[rows * widths[i]];
            for (int r = 0; r < rows; r++)
                for (int e = 0; e < widths[i]; e++) idx[r * widths[i] + e] = r * d + at + e;
            winners[i] = T([.. x.Shape[..^1], widths[i]], payloads[i].Scale, parts.Length == 1 ? won : won.Gather(idx), pair: true, ring: rings[i]);
        }
        return (T(x.Shape, 0, oh, pair: true), winners);
    }

    /// <summary>Rows [items, Σ widths] of the parts [items, widths[i]] side by side.</summary>
    private static Share Interleave(Share[] parts, int[] widths, int items)
    {
        int d = widths.Sum();
        var idx = new int[items * d];
        for (int o = 0; o < items; o++)
            for (int i = 0, at = 0, offset = 0; i < parts.Length; offset += parts[i].Length, at += widths[i], i++)
                for (int e = 0; e < widths[i]; e++) idx[o * d + at + e] = offset + o * widths[i] + e;
        return Share.Concat(parts).Gather(idx);
    }

    /// <summary>The ring an arg-max reads its keys in when they lie within ±2^<paramref name="boundLog2"/> (real) at
    /// <paramref name="scale"/>: that of keys differing by less than 2^(diffBits) raw
    /// (<see cref="Circuits.PermutedTournament.MinRing"/>: diffBits + 2 bits), in whole bytes.</summary>
    public static int ArgMaxInputRing(int scale, int boundLog2) => RingFor(WidthAt(boundLog2 + 1, scale) - 1 + 2);

    private Share ArgMaxShare(SecretTensor x, int? boundLog2, out Share max)
    {
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        int diffBits = boundLog2 is int b ? WidthAt(b + 1, x.Scale) - 1 : MaxDiffBits;
        // With a stated bound only the one-hot is returned, so the levels may open the keys in their ring.
        int ring = boundLog2 is int b2 ? ArgMaxInputRing(x.Scale, b2) : 64;
        return ArgMaxPair(AsPairInRing(x, ring), rows, n, diffBits, out max, ring);
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
        var cur = T(x.Shape, x.Scale, AsPair(x), pair: true);
        var picks = new Share[k];
        for (int t = 0; t < k; t++)
        {
            picks[t] = ArgMaxShare(cur, null, out _);
            if (t + 1 < k) cur = T(cur.Shape, cur.Scale, cur.Data.Sub(picks[t].Scale(big)), pair: true);
        }
        var all = Share.Concat(picks);
        var idx = new int[rows * k * n];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < k; t++)
                for (int j = 0; j < n; j++) idx[(r * k + t) * n + j] = t * rows * n + r * n + j;
        var shape = x.Shape[..^1].Concat(new[] { k, n }).ToArray();
        return T(shape, 0, all.Gather(idx), pair: true);
    }

    /// <summary>Oblivious gather: a secret one-hot [..., k, n] times a secret [n, d] (or batched [..., n, d]) matrix.</summary>
    public SecretTensor Gather(SecretTensor oneHot, SecretTensor matrix)
    {
        using var scope = Scope("gather");
        return MatMul(oneHot, matrix);
    }
}
