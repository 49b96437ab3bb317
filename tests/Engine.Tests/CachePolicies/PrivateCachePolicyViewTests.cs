using System.Collections.Concurrent;
using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.CachePolicies;

/// <summary>
/// The kept tokens stay secret: while the policy selects, every compute party receives the same message sizes in the
/// same order whatever the keys (only budgets and sizes are public), and the bytes it receives look uniform and
/// alike for two different selections (chi-square, as the protocols' view tests).
/// </summary>
public sealed class PrivateCachePolicyViewTests
{
    private const double Critical = 352; // chi-square, 255 degrees of freedom, p = 5e-5
    private static readonly LlamaConfig Shape = new(Dim: 16, HiddenDim: 8, Layers: 1, Heads: 4, KvHeads: 2, VocabSize: 8, SeqLen: 512);

    /// <summary>Message sizes (from the transport) and contents (from the channel, decoded: ring bytes, and the comparison
    /// gates' packed bit shares and per-bit vectors as elements of Z_p, per prime).</summary>
    private sealed class Recorder(ITransport inner) : ITransport, IReceiveObserver
    {
        public readonly long[] Histogram = new long[256];
        public readonly Dictionary<int, long[]> Elements = [];
        public readonly List<int> Sizes = [];
        public volatile bool On;
        public int PartyId => inner.PartyId;
        public void Send(int toParty, ReadOnlySpan<byte> payload) => inner.Send(toParty, payload);
        public void Receive(int fromParty, Span<byte> destination)
        {
            inner.Receive(fromParty, destination);
            if (On) Sizes.Add(destination.Length);
        }
        public void Bytes(int fromParty, ReadOnlySpan<byte> payload)
        {
            foreach (var b in payload) Histogram[b]++;
        }
        public void FieldElements(int fromParty, ReadOnlySpan<byte> elements, int prime)
        {
            if (!Elements.TryGetValue(prime, out var h)) Elements[prime] = h = new long[prime];
            foreach (var e in elements) h[e]++;
        }
        public void Dispose() => inner.Dispose();
    }

    /// <summary>What P0, P1 and P2 receive while the action that <paramref name="setUp"/> returns runs (the inputs
    /// <paramref name="setUp"/> shares are not recorded).</summary>
    private static Recorder[] Record(SchemeKind scheme, Func<MpcContext, Action> setUp)
    {
        var recorders = new ConcurrentDictionary<int, Recorder>();
        InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var measured = setUp(ctx);
            var rec = recorders[ctx.PartyId];
            rec.On = true;
            ctx.Channel.Observer = rec;
            measured();
            ctx.Channel.Observer = null;
            rec.On = false;
            return 0;
        }, wrap: t => recorders[t.PartyId] = new Recorder(t));
        return [recorders[0], recorders[1], recorders[2]];
    }

    private static Recorder[] Views(double[] keys, double[] queries, int n) => Record(SchemeKind.ThreePc, ctx =>
    {
        bool client = ctx.PartyId == PartyIds.Client;
        var k = ctx.Input(PartyIds.Client, [Shape.KvHeads, n, Shape.HeadSize], client ? keys : default);
        var q = ctx.Input(PartyIds.Client, [Shape.KvHeads, Shape.KvGroup, Shape.HeadSize], client ? queries : default);
        return () => new PrivateCachePolicy(ctx, Shape, CachePolicyOptions.Parse("dynamic"), promptLength: 1).SelectChildrenOneHot(0, q, k);
    });

    [Fact]
    public void PartiesSeeTheSameSizesAndUniformBytesForDifferentSelections()
    {
        const int n = 160;
        int size = Shape.KvHeads * n * Shape.HeadSize;
        // Keys aligned with the query in the first half of the cache, then in the second half: different clusters win.
        double[] early = Enumerable.Range(0, size).Select(i => (i / Shape.HeadSize) % n < n / 2 ? 1.0 : -1.0).ToArray();
        double[] late = early.Select(v => -v).ToArray();
        var queries = Enumerable.Repeat(0.5, Shape.KvHeads * Shape.KvGroup * Shape.HeadSize).ToArray();
        AssertAlike(Views(early, queries, n), Views(late, queries, n));
    }

    /// <summary>Static eviction by threshold and the decode step after it, for a prompt where every kept slot passes
    /// and one where a single one does: nothing a party receives depends on how many pass.</summary>
    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void HowManySlotsPassTheThresholdDoesNotShowInWhatPartiesReceive(SchemeKind scheme)
    {
        const int p = 64;
        var options = CachePolicyOptions.Parse("mpcache:keep=0.5,min=0,window=0.25,threshold=0.0078125");   // 1/128
        // Uniform attention (1/64 each: all pass), or one token taking all but 1/1024 per other token (only it passes).
        double[] Attention(bool uniform) => Enumerable.Range(0, Shape.Heads * p * p).Select(i =>
        {
            int row = i / p % p, t = i % p;
            if (t > row) return 0.0;
            return uniform ? 1.0 / (row + 1) : t == 0 ? 1 - row / 1024.0 : 1 / 1024.0;
        }).ToArray();
        var rng = new Random(3);
        var keys = Enumerable.Range(0, Shape.KvHeads * (p + 1) * Shape.HeadSize).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var queries = Enumerable.Range(0, Shape.KvDim * Shape.KvGroup).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        Recorder[] View(bool uniform) => Record(scheme, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var k = ctx.Input(PartyIds.Client, [Shape.KvHeads, p + 1, Shape.HeadSize], client ? keys : default);
            var a = ctx.Input(PartyIds.Client, [Shape.KvHeads, Shape.KvGroup * p, p], client ? Attention(uniform) : default);
            var q = ctx.Input(PartyIds.Client, [Shape.KvHeads, Shape.KvGroup, Shape.HeadSize], client ? queries : default);
            return () =>
            {
                var policy = new PrivateCachePolicy(ctx, Shape, options, p);
                var prompt = ctx.Slice(k, 1, 0, p);
                var (kept, _) = policy.AfterPrefill(0, a, prompt, prompt);
                var cache = ctx.Concat([kept, ctx.Slice(k, 1, p, 1)], 1);
                var selected = policy.Select(0, q, cache)!;
                var scores = policy.MaskDropped(0, ctx.MatMul(q, ctx.Grow(null, cache), transposeB: true, truncate: false));
                ctx.Softmax(selected.Gather(ctx, scores), selected.Valid(), [1, 1, selected.Tokens]);
            };
        });
        AssertAlike(View(uniform: true), View(uniform: false));
        // The premise: all 32 kept slots pass in one prompt, one slot in the other.
        double Passing(bool uniform) => InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            var prompt = ctx.Slice(ctx.Input(PartyIds.Client, [Shape.KvHeads, p + 1, Shape.HeadSize], client ? keys : default), 1, 0, p);
            var a = ctx.Input(PartyIds.Client, [Shape.KvHeads, Shape.KvGroup * p, p], client ? Attention(uniform) : default);
            var policy = new PrivateCachePolicy(ctx, Shape, options, p);
            policy.AfterPrefill(0, a, prompt, prompt);
            return ctx.Reveal(policy.Validity(0)!, PartyIds.Client)?.Sum() ?? 0;
        })[3];
        Assert.Equal(32, Passing(uniform: true));
        Assert.Equal(1, Passing(uniform: false));
    }

    private static void AssertAlike(Recorder[] a, Recorder[] b)
    {
        for (int p = 0; p < 3; p++)
        {
            Assert.Equal(a[p].Sizes, b[p].Sizes);
            Assert.True(a[p].Histogram.Sum() + a[p].Elements.Values.Sum(h => h.Sum()) > 0, $"P{p} received nothing to test");
            // The helper may receive only per-bit vectors (the selection's comparisons), no ring values at all.
            if (a[p].Histogram.Sum() > 0)
            {
                Assert.True(ChiSquareUniform(a[p].Histogram) < Critical, $"P{p}: bytes received are not uniform ({ChiSquareUniform(a[p].Histogram):F0})");
                Assert.True(TwoSample(a[p].Histogram, b[p].Histogram) < Critical, $"P{p}: what it receives depends on the selection");
            }
            // Field elements are uniform apart from at most one zero per comparison (whose presence is a uniform bit);
            // primes with under 20 elements per class are too few to test.
            Assert.Equal(a[p].Elements.Keys.Order(), b[p].Elements.Keys.Order());
            foreach (var (prime, ha) in a[p].Elements)
            {
                var hb = b[p].Elements[prime];
                if (Math.Min(ha.Sum() - ha[0], hb.Sum() - hb[0]) < 20 * (prime - 1)) continue;
                double crit = CriticalFor(prime - 2), chi = ChiSquareUniform(ha[1..]);
                Assert.True(chi < crit, $"P{p}: Z_{prime} elements are not uniform ({chi:F0}, critical {crit:F0})");
                Assert.True(TwoSample(ha[1..], hb[1..]) < crit, $"P{p}: the Z_{prime} elements it receives depend on the selection");
            }
        }
    }

    /// <summary>Chi-square critical value at p = 5e-5 for <paramref name="dof"/> degrees of freedom (Wilson-Hilferty).</summary>
    private static double CriticalFor(int dof)
    {
        double a = 2.0 / (9 * dof);
        return dof * Math.Pow(1 - a + 3.89 * Math.Sqrt(a), 3);
    }

    private static double ChiSquareUniform(long[] h)
    {
        double total = h.Sum(), e = total / h.Length;
        return h.Sum(c => (c - e) * (c - e) / e);
    }

    private static double TwoSample(long[] x, long[] y)
    {
        double nx = x.Sum(), ny = y.Sum(), chi = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double total = x[i] + y[i];
            if (total == 0) continue;
            double ex = total * nx / (nx + ny), ey = total * ny / (nx + ny);
            chi += (x[i] - ex) * (x[i] - ex) / ex + (y[i] - ey) * (y[i] - ey) / ey;
        }
        return chi;
    }
}
