using PrivateInference.Engine.CachePolicies;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

public sealed class SecretClusterBoundsTests
{
    private const int KvHeads = 2, HeadSize = 4, Child = 4, Parent = 8;

    private static double Key(int h, int t, int j) => ((h * 31 + t * 7 + j * 13) % 23 - 11) / 4.0;

    private static double[] Keys(int n)
    {
        var k = new double[KvHeads * n * HeadSize];
        for (int h = 0; h < KvHeads; h++)
            for (int t = 0; t < n; t++)
                for (int j = 0; j < HeadSize; j++) k[(h * n + t) * HeadSize + j] = Key(h, t, j);
        return k;
    }

    private static readonly double[] Query = [0.5, -1.25, 0.75, 2, -0.5, 1, 1.5, -0.25];   // [kvh, 1, hs]

    /// <summary>A product of eight fixed-point terms: each quantized to 2^-16 and truncated within two units, far below
    /// this. (Rounding both sides to two decimals, as before, failed whenever a value sat near a rounding boundary.)</summary>
    private const double Tolerance = 1e-3;

    /// <summary>The bounds brought from <paramref name="start"/> cached tokens to <paramref name="end"/> one token at a time
    /// (a rebuild and one product, as a decode step makes, then the incremental path), and the client's view of the query
    /// products at the end, with the bytes each party sent for that last product alone.</summary>
    private static (double[] Products, long[] Bytes) Run(SchemeKind scheme, int start, int end, bool truncate = true)
    {
        var results = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var all = ctx.Input(PartyIds.Client, [KvHeads, end, HeadSize], ctx.PartyId == PartyIds.Client ? Keys(end) : null);
            var bounds = new SecretClusterBounds(ctx, Child, Parent, hierarchy: true);
            var q = ctx.Input(PartyIds.Client, [KvHeads, 1, HeadSize], ctx.PartyId == PartyIds.Client ? Query : null);
            bounds.Update(ctx.Slice(all, 1, 0, start));
            // The step before: its product opens the rows the rebuild appended.
            bounds.Products(q, Clusters(start, Child), Clusters(start, Parent), withParents: true, truncate: truncate);
            for (int n = start + 1; n <= end; n++) bounds.Update(ctx.Slice(all, 1, 0, n));
            long before = ctx.Channel.Total.BytesSent;
            var products = bounds.Products(q, Clusters(end, Child), Clusters(end, Parent), withParents: true, truncate: truncate);
            long sent = ctx.Channel.Total.BytesSent - before;
            return (ctx.Reveal(products, PartyIds.Client), sent);
        });
        return (results[PartyIds.Client].Item1!, results.Select(r => r.Item2).ToArray());
    }

    private static int Clusters(int n, int size) => (n + size - 1) / size;

    /// <summary>q·max and q·min over tokens [from, to) of head h.</summary>
    private static (double Max, double Min) Expected(int h, int from, int to)
    {
        double max = 0, min = 0;
        for (int j = 0; j < HeadSize; j++)
        {
            var column = Enumerable.Range(from, to - from).Select(t => Key(h, t, j)).ToArray();
            max += Query[h * HeadSize + j] * column.Max();
            min += Query[h * HeadSize + j] * column.Min();
        }
        return (max, min);
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc, 17, 17)]
    [InlineData(SchemeKind.ThreePc, 14, 34)]
    [InlineData(SchemeKind.TwoPcDealer, 14, 34)]
    public void Products_are_the_query_against_every_complete_clusters_bounds_and_zero_for_the_newest(SchemeKind scheme, int start, int end)
    {
        var (got, _) = Run(scheme, start, end);
        int children = Clusters(end, Child), parents = Clusters(end, Parent), m = parents + children;
        for (int h = 0; h < KvHeads; h++)
        {
            double At(int i) => got[h * 2 * m + i];
            for (int p = 0; p < parents; p++)
            {
                var (max, min) = p < parents - 1 ? Expected(h, p * Parent, (p + 1) * Parent) : (0, 0);
                Assert.Equal(max, At(p), Tolerance);
                Assert.Equal(min, At(m + p), Tolerance);
            }
            for (int c = 0; c < children; c++)
            {
                var (max, min) = c < children - 1 ? Expected(h, c * Child, (c + 1) * Child) : (0, 0);
                Assert.Equal(max, At(parents + c), Tolerance);
                Assert.Equal(min, At(m + parents + c), Tolerance);
            }
        }
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void A_step_that_completes_no_cluster_opens_the_query_alone_whatever_the_cache_length(SchemeKind scheme)
    {
        // 18 → 19 and 66 → 67 tokens complete no child: the product (untruncated, as the tournament's scores use it)
        // sends the same bytes at 5 and at 17 children.
        var (_, shortCache) = Run(scheme, 18, 19, truncate: false);
        var (_, longCache) = Run(scheme, 66, 67, truncate: false);
        // The compute parties open the masked query alone (8 B per element), nothing in proportion to the clusters (the
        // whole bounds matrix before); the helper's material is one word per product, as for any product.
        foreach (var party in new[] { PartyIds.P0, PartyIds.P1 })
        {
            Assert.Equal(8L * KvHeads * HeadSize, shortCache[party]);
            Assert.Equal(8L * KvHeads * HeadSize, longCache[party]);
        }
    }
}
