namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// MPCache's query-aware dynamic selection on plaintext numbers, for one KV head: clusters of the kept cache are
/// scored by the linearized bound q·(a·max + (1−a)·min) of their per-channel key bounds, the top level-1 clusters are
/// split into children and rescored, and the top children are kept; the first and last clusters always are.
/// The private version scores the same bounds in fixed point, keeps the same public counts and, with the tournament,
/// compares the same pairs.
/// </summary>
public static class ClusterSelection
{
    /// <summary>Indices into the kept cache (ascending) of the selected tokens.</summary>
    /// <param name="bounds">per-channel key bounds of the kept cache, maintained incrementally.</param>
    /// <param name="query">the query summed over this KV head's query heads (the bound is linear in q).</param>
    public static List<int> Select(CachePolicyOptions o, ClusterBounds bounds, ReadOnlySpan<float> query) =>
        o.Selection == SelectionMethod.Rank ? SelectByRank(o, bounds, query) : SelectByTournament(o, bounds, query);

    /// <summary>Exact top-k at each level.</summary>
    private static List<int> SelectByRank(CachePolicyOptions o, ClusterBounds bounds, ReadOnlySpan<float> query)
    {
        int n = bounds.Length;
        int child = o.ChildClusterSize;
        if (!o.Hierarchy)
        {
            int all = CacheBudgets.Clusters(n, child);
            var flat = Enumerable.Range(0, all).ToList();
            var kept = TopWithEnds(flat, bounds.Scores(child, flat, query, o.Alpha), CacheBudgets.Level2Kept(o, all, all), all);
            return Expand(kept, child, n);
        }
        int size = o.ClusterSize;
        int clusters = CacheBudgets.Clusters(n, size);
        var level1 = Enumerable.Range(0, clusters).ToList();
        var kept1 = TopWithEnds(level1, bounds.Scores(size, level1, query, o.Alpha), CacheBudgets.Level1Kept(o, clusters), clusters);

        int perParent = size / child;
        int allChildren = CacheBudgets.Clusters(n, child);
        var candidates = kept1.SelectMany(c => Enumerable.Range(c * perParent, perParent)).Where(c => c < allChildren).ToList();
        var kept2 = TopWithEnds(candidates, bounds.Scores(child, candidates, query, o.Alpha),
            CacheBudgets.Level2Kept(o, allChildren, candidates.Count), allChildren);
        return Expand(kept2, child, n);
    }

    /// <summary>Bucket tournaments at each level, the first and last clusters forced, in the order the private
    /// selection lays out its one-hot rows (so that level 2's buckets hold the same candidates on both sides): level 1
    /// keeps [last parent, first parent, bucket winners...]; their children in that order are level 2's candidates.
    /// The bound's weight a is taken on the 1/256 grid, as on shares (<see cref="CachePolicyOptions.SelectionAlpha"/>).</summary>
    private static List<int> SelectByTournament(CachePolicyOptions o, ClusterBounds bounds, ReadOnlySpan<float> query)
    {
        int n = bounds.Length, child = o.ChildClusterSize, children = CacheBudgets.Clusters(n, child);
        var childScores = bounds.Scores(child, Enumerable.Range(0, children).ToList(), query, o.SelectionAlpha);
        int parents = CacheBudgets.Clusters(n, o.ClusterSize), k1 = CacheBudgets.Level1Kept(o, parents);
        if (!o.Hierarchy || k1 >= parents)
        {
            var flat = TournamentTopK.PickWithForced(c => childScores[c], Ends(children), Middle(children), CacheBudgets.Level2Kept(o, children, children));
            return Expand(flat.Order().ToList(), child, n);
        }
        var parentScores = bounds.Scores(o.ClusterSize, Enumerable.Range(0, parents).ToList(), query, o.SelectionAlpha);
        var kept1 = TournamentTopK.PickWithForced(c => parentScores[c], Ends(parents), Middle(parents), k1);
        int per = o.ClusterSize / child;
        var slots = kept1.SelectMany(p => Enumerable.Range(p * per, per)).ToList();   // child ids; past the end: padding
        var candidates = slots.Where(c => c < children).ToList();
        int k2 = CacheBudgets.Level2Kept(o, children, candidates.Count);
        if (k2 >= candidates.Count) return Expand(candidates.Order().ToList(), child, n);
        var middle = candidates.Where(c => c != children - 1 && c != 0).ToList();
        var kept2 = TournamentTopK.PickWithForced(c => childScores[c], Ends(children), middle, k2);
        return Expand(kept2.Order().ToList(), child, n);
    }

    /// <summary>The forced clusters in row order: the last (newest) first, then the first (sink).</summary>
    private static List<int> Ends(int count) => [count - 1, 0];

    private static List<int> Middle(int count) => Enumerable.Range(1, count - 2).ToList();

    /// <summary>The <paramref name="budget"/> best of <paramref name="ids"/> by score, the first (id 0) and the last
    /// (id total−1) always among them when present; ties go to the lower id. Returned ascending.</summary>
    public static List<int> TopWithEnds(List<int> ids, double[] scores, int budget, int total)
    {
        var order = Enumerable.Range(0, ids.Count)
            .OrderByDescending(i => ids[i] == 0 || ids[i] == total - 1)
            .ThenByDescending(i => scores[i])
            .ThenBy(i => ids[i])
            .Take(budget)
            .Select(i => ids[i])
            .ToList();
        order.Sort();
        return order;
    }

    private static List<int> Expand(List<int> clusters, int size, int n) =>
        clusters.SelectMany(c => Enumerable.Range(c * size, Math.Min(size, n - c * size))).ToList();
}
