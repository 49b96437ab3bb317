using PrivateInference.Protocols.Circuits;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Tests.Circuits;

/// <summary>
/// The one-round fixed-point products on the 2-out-of-2 form, run directly on P0, P1 and the helper P2: the products
/// of the truncated operands come out right for every kind of operand pair (truncated × truncated, a square, exact ×
/// truncated, and wide truncations whose ρ·ρ term does not vanish) within the truncation's 1.5 units, and the helper's material takes exactly the bytes
/// its terms need (<see cref="MaterialWidths"/>).
/// </summary>
public class TruncatedProductsTests
{
    private const int N = 64;

    /// <summary>Runs <paramref name="body"/> at P0, P1 and the helper P2 with a products gate on fresh pairwise keys.</summary>
    private static T[] WithProducts<T>(string label, Func<MpcContext, TruncatedProducts, T> body) =>
        HelperGateHarness.Run(label, (ctx, keys) => body(ctx, new TruncatedProducts(ctx.Channel, keys)));

    private static long[] Raw(Random rng, double scale, double lo, double hi) =>
        Enumerable.Range(0, N).Select(_ => (long)Math.Round((lo + (hi - lo) * rng.NextDouble()) * scale)).ToArray();

    /// <summary>Party <paramref name="me"/>'s share of raw values: P1 holds slice k of the split, P0 the rest, the
    /// helper nothing.</summary>
    private static Pending Operand(int me, long[] raw, ulong[] split, int k, int bits) =>
        new(HelperGateHarness.Split(me, raw, split.AsSpan(k * N, N)), bits);

    [Fact]
    public void Products_of_every_operand_kind_are_right_and_the_material_takes_the_bytes_its_terms_need()
    {
        var rng = new Random(5);
        // a, b at 2^32 truncated by 16; c at 2^36 truncated by 20; e exact; f at 2^42 by 40, g at 2^32 by 30 (40 + 30 > 62).
        var a = Raw(rng, 1L << 32, -100, 100);
        var b = Raw(rng, 1L << 32, -100, 100);
        var c = Raw(rng, 1L << 36, -50, 50);
        var e = Raw(rng, 1, -1000, 1000);
        var f = Raw(rng, 1L << 42, -3, 3);
        var g = Raw(rng, 1L << 32, -3, 3);
        var split = Enumerable.Range(0, 6 * N).Select(_ => (ulong)rng.NextInt64()).ToArray();

        var results = WithProducts("products-test", (ctx, prod) =>
        {
            int me = ctx.PartyId;
            Pending pa = Operand(me, a, split, 0, 16), pb = Operand(me, b, split, 1, 16), pc = Operand(me, c, split, 2, 20),
                pe = Operand(me, e, split, 3, 0), pf = Operand(me, f, split, 4, 40), pg = Operand(me, g, split, 5, 30);
            var before = ctx.Channel.Total;
            var (products, _) = prod.Run([(pa, pb), (pc, pc), (pe, pa), (pf, pg)]);
            var cost = ctx.Channel.Total - before;
            return (Products: products.Select(p => me < 2 ? p.C[0] : []).ToArray(), Cost: cost);
        });

        // A truncated operand is v / 2^d within 1.5 units (rounded, then moved by the dropped carry): Floor is the
        // nearest integer, and each operand may be up to two away from it.
        long Floor(long v, int d) => (long)Math.Round(v / Math.Pow(2, d));
        var expected = new Func<int, long>[]
        {
            i => Floor(a[i], 16) * Floor(b[i], 16),
            i => Floor(c[i], 20) * Floor(c[i], 20),
            i => e[i] * Floor(a[i], 16),
            i => Floor(f[i], 40) * Floor(g[i], 30),
        };
        // (A + e1)(B + e2) with |e| ≤ 2 is within 2|A| + 2|B| + 4 of A·B.
        var slack = new Func<int, long>[]
        {
            i => 2 * Math.Abs(Floor(a[i], 16)) + 2 * Math.Abs(Floor(b[i], 16)) + 4,
            i => 4 * Math.Abs(Floor(c[i], 20)) + 4,
            i => 2 * Math.Abs(e[i]),
            i => 2 * Math.Abs(Floor(f[i], 40)) + 2 * Math.Abs(Floor(g[i], 30)) + 4,
        };
        for (int q = 0; q < expected.Length; q++)
            for (int i = 0; i < N; i++)
            {
                long got = (long)(results[0].Products[q][i] + results[1].Products[q][i]);
                Assert.True(Math.Abs(got - expected[q](i)) <= slack[q](i), $"product {q}, element {i}: {got} against {expected[q](i)}");
            }

        // Material (bytes per element): per truncated operand ρ and the wrap ω, ⌈(d + 1)/8⌉ each: a, b, c 3 + 3, e: 0,
        // f: 6 + 6, g: 4 + 4; products a·b: 8 + 3 + 3 = 14, c²: 8 + ⌈20/8⌉ = 11, e·a: 8 + 3 = 11 (e has no ρ),
        // f·g: 8 + ⌈31/8⌉ + ⌈41/8⌉ + ⌈(40 + 30 − 62)/8⌉ = 8 + 4 + 6 + 1 = 19. Before R came from the parties' masks: 8 more
        // per operand for R less ω's bytes (114 in all); before the widths: 16 per operand, 32 per product, 16 per square.
        long material = 6 + 6 + 6 + 0 + 12 + 8 + 14 + 11 + 11 + 19;
        Assert.Equal(material * N, results[2].Cost.PreprocessingBytesSent);
        Assert.Equal(results[2].Cost.BytesSent, results[2].Cost.PreprocessingBytesSent);
        // Online: P0 and P1 each open one word per operand element.
        Assert.Equal(6 * 8 * N, results[0].Cost.BytesSent);
        Assert.Equal(1, results[0].Cost.Rounds);
    }

    /// <summary>A later round may multiply by an operand an earlier round opened (the polynomial's v³ = v²·v): it opens
    /// only the other factor, and the product equals the one with that round's truncated operand as an exact factor.</summary>
    [Fact]
    public void A_reused_opening_is_not_opened_again_and_multiplies_like_its_truncated_operand()
    {
        var rng = new Random(9);
        var a = Raw(rng, 1L << 35, -1.3, 1.3);
        var b = Raw(rng, 1L << 40, -1.7, 1.7);
        var split = Enumerable.Range(0, 2 * N).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var results = WithProducts("reuse-test", (ctx, prod) =>
        {
            int me = ctx.PartyId;
            Pending pa = Operand(me, a, split, 0, 15), pb = Operand(me, b, split, 1, 20);
            var opening = new SharedOpening();
            var first = new RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)>();
            var shared = new Dictionary<Pending, SharedOpening>(ReferenceEqualityComparer.Instance) { [pa] = opening };
            RoundSteps.Run(ctx.Channel, prod.RunSteps([(pa, pa)], [], first, shared));
            var at = new Pending(first.Value.Truncated[pa], 0);
            var mark = ctx.Channel.Total;
            var second = new RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)>();
            var reuse = new Dictionary<Pending, SharedOpening>(ReferenceEqualityComparer.Instance) { [at] = opening };
            RoundSteps.Run(ctx.Channel, prod.RunSteps([(pb, at)], [], second, reuse: reuse));
            var cost = ctx.Channel.Total - mark;
            return (Truncated: me < 2 ? first.Value.Truncated[pa].C[0] : [], Product: me < 2 ? second.Value.Products[0].C[0] : [], Cost: cost);
        });
        for (int i = 0; i < N; i++)
        {
            long at = (long)(results[0].Truncated[i] + results[1].Truncated[i]);
            Assert.True(Math.Abs(at * 32768.0 - a[i]) <= 1.5 * 32768, $"element {i}: truncated {at} against {a[i] / 32768.0}");
            long got = (long)(results[0].Product[i] + results[1].Product[i]);
            long expected = (long)Math.Round(b[i] / 1048576.0) * at;
            Assert.True(Math.Abs(got - expected) <= 2 * Math.Abs(at), $"element {i}: {got} against {expected}");
        }
        // Online: only b is opened (one word per element at P0 and P1); the helper sends b's material (ρ and ω,
        // ⌈21/8⌉ each) and the product's terms (8 + ⌈16/8⌉ + ⌈21/8⌉), none for the reused operand itself.
        Assert.Equal(8 * N, results[0].Cost.BytesSent);
        Assert.Equal(1, results[0].Cost.Rounds);
        Assert.Equal((3 + 3 + 8 + 2 + 3) * N, results[2].Cost.PreprocessingBytesSent);
    }

    /// <summary>Narrow rings: operands below 2^46 opened in 48 bits (6 bytes a word) give products right modulo 2^48
    /// when the round asks for that ring, with every material term in the bits it needs there, and right in the full
    /// ring when the round asks for 64 (a truncated operand lifts: its material in full words).</summary>
    [Theory]
    [InlineData(48)]
    [InlineData(64)]
    public void Operands_opened_in_a_narrow_ring_give_products_right_in_the_ring_the_round_asks_for(int outWidth)
    {
        var rng = new Random(13);
        var a = Raw(rng, 1L << 40, -1.1, 1.1);
        var b = Raw(rng, 1L << 40, -1.1, 1.1);
        var e = Raw(rng, 1, -1000, 1000);
        var split = Enumerable.Range(0, 3 * N).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var results = WithProducts($"narrow-{outWidth}", (ctx, prod) =>
        {
            int me = ctx.PartyId;
            Pending pa = Operand(me, a, split, 0, 20) with { Width = 48 }, pb = Operand(me, b, split, 1, 20) with { Width = 48 },
                pe = Operand(me, e, split, 2, 0);
            var before = ctx.Channel.Total;
            var (products, truncated) = prod.Run([(pa, pb), (pa, pa), (pe, pa)], outWidth);
            var cost = ctx.Channel.Total - before;
            return (Products: products.Select(p => me < 2 ? p.C[0] : []).ToArray(), Truncated: me < 2 ? truncated[pa].C[0] : [], Cost: cost);
        });
        // The difference from the expected product, as a signed value modulo 2^outWidth.
        long Off(ulong got, long expected)
        {
            ulong d = got - (ulong)expected;
            return outWidth == 64 ? (long)d : (long)(d << (64 - outWidth)) >> (64 - outWidth);
        }
        for (int i = 0; i < N; i++)
        {
            long fa = (long)Math.Round(a[i] / 1048576.0), fb = (long)Math.Round(b[i] / 1048576.0);
            Assert.InRange(Math.Abs(Off(results[0].Truncated[i] + results[1].Truncated[i], fa)), 0, 2);
            Assert.InRange(Math.Abs(Off(results[0].Products[0][i] + results[1].Products[0][i], fa * fb)), 0, 2 * Math.Abs(fa) + 2 * Math.Abs(fb) + 4);
            Assert.InRange(Math.Abs(Off(results[0].Products[1][i] + results[1].Products[1][i], fa * fa)), 0, 4 * Math.Abs(fa) + 4);
            Assert.InRange(Math.Abs(Off(results[0].Products[2][i] + results[1].Products[2][i], e[i] * fa)), 0, 2 * Math.Abs(e[i]));
        }
        // Online: a and b in 6 bytes, the exact e in the round's ring (6 or 8 bytes).
        Assert.Equal((6 + 6 + outWidth / 8) * N, results[0].Cost.BytesSent);
        // Material: κ = ±2^27 (w − 1 − d); in 48 bits, per operand ρ and ω in ⌈21/8⌉ bytes each, a·b 6 + 3 + 3 (ρ·ρ
        // vanishes), a² 6 + ⌈20/8⌉, e·a 6 + 3; in 64 bits, ρ and ω in ⌈37/8⌉, a·b 8 + 5 + 5 + ⌈10/8⌉, a² 8 + ⌈36/8⌉,
        // e·a 8 + 5.
        long material = outWidth == 48 ? 2 * (3 + 3) + 12 + 9 + 9 : 2 * (5 + 5) + 20 + 13 + 13;
        Assert.Equal(material * N, results[2].Cost.PreprocessingBytesSent);
    }
}
