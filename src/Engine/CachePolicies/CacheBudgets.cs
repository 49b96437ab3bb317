using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The public counts a policy works with, computed from public sizes only (prompt length, cache length, layer
/// count), so that every party and both implementations agree on them without seeing any score.
/// </summary>
public static class CacheBudgets
{
    /// <summary>Number of the prompt's last queries that form the observation window (at least one).</summary>
    public static int ObservationQueries(CachePolicyOptions o, int promptLength) =>
        Math.Clamp((int)Math.Ceiling(o.ObservationWindow * promptLength), 1, promptLength);

    /// <summary>Prompt tokens kept by static eviction.</summary>
    public static int StaticKept(CachePolicyOptions o, int promptLength) =>
        Math.Clamp(Math.Max((int)Math.Ceiling(o.StaticKeep * promptLength), o.MinTokens), 1, promptLength);

    /// <summary>Static eviction by threshold: the bound a prompt token's window sum (its attention summed over the
    /// <paramref name="heads"/> and the window's queries) must reach to pass, T·H·W on the fixed-point grid of
    /// <paramref name="fracBits"/> (rounded as the private encoding rounds: to nearest, ties to even). Both sides compare
    /// the sum, not the average, against this one number, so that neither divides and a sum on the grid decides alike:
    /// a token passes when its sum is at least the bound.</summary>
    public static double ThresholdSum(CachePolicyOptions o, int heads, int windowQueries, int fracBits)
    {
        double t = o.StaticThreshold ?? throw new InvalidOperationException("static eviction by ratio has no threshold");
        return unchecked((long)FixedPointEncoding.Encode(t * heads * windowQueries, fracBits)) / Math.Pow(2, fracBits);
    }

    public static int Clusters(int length, int clusterSize) => (length + clusterSize - 1) / clusterSize;

    /// <summary>Level-1 clusters kept out of <paramref name="clusters"/> (first and last included), enough to hold the
    /// children that the minimum token budget asks of level 2 (one more, since the newest parent may be partial).</summary>
    public static int Level1Kept(CachePolicyOptions o, int clusters)
    {
        int forMinimum = o.MinTokens > 0 ? Clusters(MinChildren(o), o.ClusterSize / o.ChildClusterSize) + 1 : 0;
        return Math.Min(clusters, Math.Max(Math.Max(2, forMinimum), (int)Math.Ceiling(o.Level1Keep * clusters)));
    }

    /// <summary>Child clusters kept at level 2, out of all child clusters of the cache (at least the minimum token
    /// budget's worth), capped by the candidates.</summary>
    public static int Level2Kept(CachePolicyOptions o, int allChildren, int candidates) =>
        Math.Min(candidates, Math.Max(Math.Max(2, MinChildren(o)), (int)Math.Ceiling(o.Level2Keep * allChildren)));

    private static int MinChildren(CachePolicyOptions o) => Clusters(o.MinTokens, o.ChildClusterSize);

    /// <summary>Whether dynamic selection would keep every child cluster anyway (then it is skipped, publicly). Without
    /// the hierarchy the flat budget is level 2's over the children; with it, level 1 must keep every parent and level 2
    /// every child.</summary>
    public static bool SelectsEverything(CachePolicyOptions o, int cacheLength)
    {
        int children = Clusters(cacheLength, o.ChildClusterSize);
        bool allChildren = Level2Kept(o, children, children) >= children;
        if (!o.Hierarchy) return allChildren;
        int parents = Clusters(cacheLength, o.ClusterSize);
        return allChildren && Level1Kept(o, parents) >= parents;
    }

    /// <summary>Tokens the top-k / H2O baselines attend.</summary>
    public static int BaselineKept(CachePolicyOptions o, int cacheLength) =>
        Math.Clamp(Math.Max((int)Math.Ceiling(o.BaselineKeep * cacheLength), o.MinTokens), 1, cacheLength);

    /// <summary>Layer whose selection <paramref name="layer"/> uses: the first and last
    /// <see cref="CachePolicyOptions.SelfSelectingEdgeLayers"/> layers select for themselves; in between, pairs share the
    /// selection of their first (even-offset) layer.</summary>
    public static int SelectingLayer(CachePolicyOptions o, int layer, int layers)
    {
        int edge = o.SelfSelectingEdgeLayers;
        if (!o.IndexSharing || layer < edge || layer >= layers - edge) return layer;
        int offset = layer - edge;
        return layer - offset % 2;
    }
}
