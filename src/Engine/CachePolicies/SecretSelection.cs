using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Selection on shares for the private cache policies: which items are kept stays secret, only how many is public.
/// Top-k is by rank (every unordered pair compared once, all at once: n(n−1)/2 comparisons in one comparison round)
/// rather than by k sequential arg-max rounds. The kept items come out either as a mask, compacted in ascending index
/// order by <see cref="Compact"/> when the order matters (static eviction keeps the cache in position order), or
/// directly as a one-hot in rank order (<see cref="TopKOneHot"/>) when only the set does (attention is
/// order-independent).
/// </summary>
public static class SecretSelection
{
    /// <summary>Secret 0/1 mask [rows, n] (scale 0) of the k largest scores per row; ties go to the lower index, as
    /// in <see cref="ClusterSelection.TopWithEnds"/> and <see cref="PlainCachePolicy.TopPositions"/>.</summary>
    public static SecretTensor TopKMask(MpcContext ctx, SecretTensor scores, int k)
    {
        using var scope = ctx.Scope("select_topk");
        CheckBudget(scores, k);
        return ctx.LessThanZero(ctx.AddPublic(Ranks(ctx, scores), -k));
    }

    /// <summary>Secret one-hot [rows, k, n] (scale 0) whose row b picks the item of rank b (0 = the largest score;
    /// ties to the lower index): the same set as <see cref="TopKMask"/>, in rank order. An item whose score exceeds
    /// every other by a public margin therefore sits at a public row.</summary>
    public static SecretTensor TopKOneHot(MpcContext ctx, SecretTensor scores, int k)
    {
        using var scope = ctx.Scope("select_topk");
        CheckBudget(scores, k);
        int n = scores.LastDim, rows = scores.Length / n;
        var rank = ctx.Reshape(Ranks(ctx, scores), rows, 1, n);
        // below[b] = [rank < b + 1], one comparison each (k·n in one round, no product); then
        // [rank == b] = [rank < b + 1] − [rank < b] with [rank < 0] = 0, by local differences.
        var thresholds = new double[k];
        for (int b = 0; b < k; b++) thresholds[b] = -(b + 1);
        var below = ctx.LessThanZero(ctx.AddPublic(ctx.Concat(Enumerable.Repeat(rank, k).ToArray(), 1), thresholds, [1, k, 1]));
        var previous = ctx.Concat([ctx.MulPublicInt(ctx.Slice(below, 1, 0, 1), 0), ctx.Slice(below, 1, 0, k - 1)], 1);
        return ctx.Sub(below, previous);
    }

    /// <summary>rank_i = #{j : item j beats item i} per row [rows, n] (scale 0), a permutation of 0..n−1. Keys are
    /// made distinct first (score·n plus a tie-breaker favouring lower indices), so [j beats i] = 1 − [i beats j]
    /// and each unordered pair is compared once: with U[i, j] = [j beats i] for i &lt; j (0 elsewhere),
    /// rank_i = Σ_j U[i, j] + i − Σ_j U[j, i], all local after the comparisons.</summary>
    private static SecretTensor Ranks(MpcContext ctx, SecretTensor scores)
    {
        int n = scores.LastDim, rows = scores.Length / n, pairs = n * (n - 1) / 2;
        var tie = new double[n];
        for (int i = 0; i < n; i++) tie[i] = (n - 1 - i) / Math.Pow(2, scores.Scale);
        var key = ctx.AddPublic(ctx.MulPublicInt(ctx.Reshape(scores, rows, n), n), tie, [1, n]);
        var first = new int[rows * pairs];
        var second = new int[rows * pairs];
        for (int r = 0, o = 0; r < rows; r++)
            for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n; j++, o++)
                {
                    first[o] = r * n + i;
                    second[o] = r * n + j;
                }
        // beaten[r, (i, j)] = [key_i − key_j < 0] = [j beats i]
        var beaten = ctx.LessThanZero(ctx.Sub(ctx.Rearrange(key, first, rows * pairs), ctx.Rearrange(key, second, rows * pairs)));
        // U laid out [rows, n, n]: the comparisons above the diagonal, shared zeros elsewhere.
        var layout = new int[rows * n * n];
        for (int r = 0, o = 0, at = 0; r < rows; r++)
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) layout[at++] = j > i ? o++ : -1;   // pairs in the order built above
        var u = ctx.Rearrange(beaten, layout, rows, n, n);
        var index = new double[n];
        for (int i = 0; i < n; i++) index[i] = i;
        return ctx.AddPublic(ctx.Sub(ctx.Sum(u), ctx.Sum(ctx.Transpose(u))), index, [1, n]);
    }

    /// <summary>Secret one-hot [rows, budget, n] (scale 0) laid out as <see cref="TournamentTopK.PickWithForced"/>
    /// lists the ids: the public <paramref name="forced"/> rows first, then the middle ones (all of them in list order
    /// when the budget covers them, else the winners of the bucket tournament, in bucket order); with it, the one-hot's
    /// public structure, for products that need only its possible entries (<see cref="OneHotLayout"/>).</summary>
    /// <param name="boundLog2">|scores| &lt; 2^boundLog2 (real): the tournament's comparisons are sized for it.</param>
    public static (SecretTensor OneHot, OneHotLayout Layout) PickWithLayout(MpcContext ctx, SecretTensor scores, IReadOnlyList<int> forced,
        IReadOnlyList<int> middle, int budget, int boundLog2 = MpcContext.NonlinearRangeLog2)
    {
        var (oneHot, _, layout) = Pick(ctx, scores, [], [], forced, middle, budget, boundLog2);
        return (oneHot, layout);
    }

    /// <summary><see cref="PickWithLayout"/> with <paramref name="payloads"/> [rows, n, d_i] per item (one scale): also
    /// the picked items' payloads [rows, budget, d_i] in the one-hot's row order, with no product (public rows by a local
    /// gather, bucket winners from the tournament's own rounds, <see cref="MpcContext.ArgMaxWithPayloads"/>), each
    /// right modulo 2^<paramref name="rings"/>[i] only: what its consumer reads, and all the tournament opens.</summary>
    /// <remarks>The scores may themselves be right only in <see cref="MpcContext.ArgMaxInputRing"/>'s ring for the
    /// bound (a previous level's carried scores).</remarks>
    public static (SecretTensor OneHot, SecretTensor[] Picked, OneHotLayout Layout) PickWithForced(MpcContext ctx, SecretTensor scores,
        IReadOnlyList<SecretTensor> payloads, IReadOnlyList<int> rings, IReadOnlyList<int> forced, IReadOnlyList<int> middle, int budget,
        int boundLog2 = MpcContext.NonlinearRangeLog2)
    {
        if (payloads.Count == 0 || rings.Count != payloads.Count) throw new ArgumentException("one ring per payload, and at least one payload");
        var (oneHot, picked, layout) = Pick(ctx, scores, payloads, rings, forced, middle, budget, boundLog2);
        return (oneHot, picked, layout);
    }

    private static (SecretTensor OneHot, SecretTensor[] Picked, OneHotLayout Layout) Pick(MpcContext ctx, SecretTensor scores, IReadOnlyList<SecretTensor> payloads,
        IReadOnlyList<int> rings, IReadOnlyList<int> forced, IReadOnlyList<int> middle, int budget, int boundLog2)
    {
        using var scope = ctx.Scope("select_tournament");
        int n = scores.LastDim, rows = scores.Length / n, r = budget - forced.Count;
        var publicIds = r >= middle.Count ? forced.Concat(middle).ToList() : forced.Take(budget).ToList();
        var parts = new List<SecretTensor>();
        var carried = payloads.Select(_ => new List<SecretTensor>()).ToArray();
        if (publicIds.Count > 0)
        {
            var values = new double[rows * publicIds.Count * n];
            for (int row = 0; row < rows; row++)
                for (int b = 0; b < publicIds.Count; b++) values[(row * publicIds.Count + b) * n + publicIds[b]] = 1;
            parts.Add(ctx.Public(values, [rows, publicIds.Count, n], 0));
            for (int i = 0; i < payloads.Count; i++)
            {
                int d = payloads[i].LastDim;
                var rowsOf = new int[rows * publicIds.Count * d];
                for (int row = 0, at = 0; row < rows; row++)
                    foreach (var id in publicIds)
                        for (int e = 0; e < d; e++) rowsOf[at++] = (row * n + id) * d + e;
                carried[i].Add(ctx.Rearrange(payloads[i], rowsOf, rows, publicIds.Count, d));
            }
        }
        int[][] members = [];
        SecretTensor? compact = null;
        if (r > 0 && r < middle.Count)
        {
            var (oneHot, won, bucketOneHot) = Tournament(ctx, ctx.Reshape(scores, rows, n), payloads, rings, middle, r, boundLog2);
            parts.Add(oneHot);
            for (int i = 0; i < payloads.Count; i++) carried[i].Add(won[i]);
            int m = middle.Count, width = TournamentTopK.Width(m, r);
            members = Enumerable.Range(0, r).Select(b => Enumerable.Range(0, width)
                .Select(p => TournamentTopK.Candidate(m, r, b, p) is int c and >= 0 ? middle[c] : -1).ToArray()).ToArray();
            compact = bucketOneHot;
        }
        var all = parts.Count == 1 ? parts[0] : ctx.Concat(parts, 1);
        var picked = carried.Select(c => c.Count == 1 ? c[0] : ctx.Concat(c, 1)).ToArray();
        return (all, picked, new OneHotLayout([.. publicIds], members, compact));
    }

    /// <summary>One-hot [rows, r, n] of the bucket winners among <paramref name="candidates"/> (ids into the last axis):
    /// each bucket's members in position order, short buckets padded with −2^boundLog2 (below every score),
    /// and one arg-max over all buckets at once (<see cref="MpcContext.ArgMax"/>: the helper tournament, three rounds
    /// for buckets of up to 8 members, 32 when few; ties to the earlier position, as <see cref="TournamentTopK"/>).
    /// Before: one comparison of every pair of a bucket and a product tree over each candidate's wins, 3 + ⌈log2(s − 1)⌉
    /// rounds in 2pc, one more in 3pc.</summary>
    private static (SecretTensor OneHot, SecretTensor[] Won, SecretTensor BucketOneHot) Tournament(MpcContext ctx, SecretTensor scores,
        IReadOnlyList<SecretTensor> payloads, IReadOnlyList<int> rings, IReadOnlyList<int> candidates, int r, int boundLog2)
    {
        int n = scores.LastDim, rows = scores.Length / n, m = candidates.Count, width = TournamentTopK.Width(m, r);
        // Members [rows, r, width]: sources are the scores (row·n + id) and, for padding, one public low value.
        var low = ctx.Public([-Math.Pow(2, boundLog2)], [1], scores.Scale);
        var sources = ctx.Concat([ctx.Reshape(scores, rows * n), low], 0);
        var member = new int[rows * r * width];
        for (int row = 0, at = 0; row < rows; row++)
            for (int b = 0; b < r; b++)
                for (int p = 0; p < width; p++, at++)
                    member[at] = TournamentTopK.Candidate(m, r, b, p) is int c and >= 0 ? row * n + candidates[c] : rows * n;
        var keys = ctx.Rearrange(sources, member, rows, r, width);
        SecretTensor oneHot;
        SecretTensor[] won = [];
        if (payloads.Count == 0)
            oneHot = ctx.ArgMax(keys, boundLog2);
        else
        {
            // The members' payload rows, shared zeros for padding (a padded member never wins).
            var carried = payloads.Select(payload =>
            {
                int d = payload.LastDim;
                var rowsOf = new int[member.Length * d];
                for (int i = 0; i < member.Length; i++)
                    for (int e = 0; e < d; e++) rowsOf[i * d + e] = member[i] < rows * n ? member[i] * d + e : -1;
                return ctx.Rearrange(payload, rowsOf, rows, r, width, d);
            }).ToArray();
            (oneHot, won) = ctx.ArgMaxWithPayloads(keys, carried, rings, boundLog2);
        }
        var place = new int[rows * r * n];
        Array.Fill(place, -1);
        for (int row = 0; row < rows; row++)
            for (int b = 0; b < r; b++)
                for (int p = 0; p < width; p++)
                    if (TournamentTopK.Candidate(m, r, b, p) is int c and >= 0)
                        place[(row * r + b) * n + candidates[c]] = (row * r + b) * width + p;
        return (ctx.Rearrange(oneHot, place, rows, r, n), won, oneHot);
    }

    private static void CheckBudget(SecretTensor scores, int k)
    {
        int n = scores.LastDim;
        if (k < 1 || k >= n) throw new ArgumentOutOfRangeException(nameof(k), $"top-{k} of {n}: keeping all (or none) is decided publicly, not here");
    }

    /// <summary>Secret one-hot [rows, k, n] whose row b picks the (b+1)-th kept item (ascending index) of a mask with
    /// exactly k ones per row. With <paramref name="valid"/> (secret bits [rows, n]) a row whose item is not valid is all
    /// zeros instead, so that it gathers zeros; the row's sum is then the item's validity bit. The AND of mask and
    /// validity shares the round of the equality test's product, so it costs no round.</summary>
    public static SecretTensor Compact(MpcContext ctx, SecretTensor mask, int k, SecretTensor? valid = null)
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
        // With validity, mask·valid rides in the same product round as d·d.
        var products = valid is null ? [ctx.Mul(d, d)] : ctx.MulBatch([d, m2], [d, ctx.Reshape(valid, rows, n)]);
        var kept = valid is null ? mask : products[1];
        var equal = ctx.LessThanZero(ctx.AddPublic(products[0], -1));
        return ctx.Mul(equal, ctx.Reshape(kept, rows, 1, n));
    }
}
