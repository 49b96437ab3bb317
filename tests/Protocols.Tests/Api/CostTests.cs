using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>
/// Exact per-party traffic of the core ops, as derived in docs/protocols.md (n a multiple of 64, so packed
/// bit messages fill whole words). Counts are application payload and sequential steps of the online parties.
/// </summary>
public class CostTests
{
    private const int N = 256;

    /// <summary>Runs setup, then measures only <paramref name="op"/>; returns the stats of P0, P1, P2.</summary>
    private static CommStats[] Measure(SchemeKind scheme, Func<MpcContext, SecretTensor[]> setup, Action<MpcContext, SecretTensor[]> op)
    {
        var res = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var inputs = setup(ctx);
            var before = ctx.Channel.Total;
            op(ctx, inputs);
            return ctx.Channel.Total - before;
        });
        Assert.Equal(0, res[3].BytesSent + res[3].BytesReceived);
        return res[..3];
    }

    private static SecretTensor[] Two(MpcContext ctx, int scale, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = ctx.PartyId == PartyIds.Client ? Enumerable.Range(1, n).Select(i => (ulong)i).ToArray() : null;
        return [ctx.InputRing(PartyIds.Client, shape, v, scale), ctx.InputRing(PartyIds.Client, shape, v, scale)];
    }

    private static void AssertCost(CommStats s, long rounds, double bytesPerElement, int elements, string who)
    {
        Assert.True(rounds == s.Rounds, $"{who}: {s.Rounds} rounds, expected {rounds}");
        Assert.True((long)(bytesPerElement * elements) == s.BytesSent, $"{who}: sent {s.BytesSent} B, expected {bytesPerElement * elements}");
    }

    [Fact]
    public void ThreePc_multiply_takes_one_round_and_one_ring_element_per_output_per_party()
    {
        var s = Measure(SchemeKind.ThreePc, c => Two(c, 0, N), (c, t) => c.Mul(t[0], t[1]));
        for (int p = 0; p < 3; p++) AssertCost(s[p], 1, 8, N, $"P{p}");
    }

    [Fact]
    public void ThreePc_matmul_takes_one_round_and_sends_only_output_sized_data()
    {
        var s = Measure(SchemeKind.ThreePc, c => [.. Two(c, 0, 4, 32).Take(1), .. Two(c, 0, 32, 8).Take(1)], (c, t) => c.MatMul(t[0], t[1]));
        for (int p = 0; p < 3; p++) AssertCost(s[p], 1, 8, 4 * 8, $"P{p}");
    }

    /// <summary>
    /// 3pc truncation, per element and party: 16 B, plus 16 B for each element the party helps with. From 1536
    /// elements on the helper of elements [hn/3, (h+1)n/3) is P_h; below, P2 helps with all (16/16/32).
    /// </summary>
    private static double Trunc3(int party, int n = N) => 16 + 16.0 * PartOf(party, n, 2) / n;

    /// <summary>Elements of n led by <paramref name="party"/>: a third from 1536 elements on, else all or none.</summary>
    private static int PartOf(int party, int n, int solo) =>
        n >= 1536 ? (n * (party + 1) / 3) - (n * party / 3) : party == solo ? n : 0;

    /// <summary>
    /// 3pc comparison per element and party: 31.625 B (AND tree and the OT helper word), plus 32 B for each element
    /// the party leads (the split word and the two OT offers); the lead rotates over thirds like the truncation helper.
    /// </summary>
    private static double Cmp3(int party, int n = N) => 31.625 + 32.0 * PartOf(party, n, 0) / n;

    [Fact]
    public void ThreePc_fixed_point_multiply_and_truncation_take_two_rounds_and_share_the_helper_role()
    {
        var mul = Measure(SchemeKind.ThreePc, c => Two(c, 16, N), (c, t) => c.Mul(t[0], t[1]));
        var trunc = Measure(SchemeKind.ThreePc, c => Two(c, 16, N), (c, t) => c.Truncate(t[0], 16));
        foreach (var s in new[] { mul, trunc })
            for (int p = 0; p < 3; p++) AssertCost(s[p], 2, Trunc3(p), N, $"P{p}");
        Assert.Equal(16 * N, mul[0].BytesSent);
        Assert.Equal(32 * N, mul[2].BytesSent);
        const int big = 3000;                      // parts 1000 each
        var wide = Measure(SchemeKind.ThreePc, c => Two(c, 16, big), (c, t) => c.Mul(t[0], t[1]));
        for (int p = 0; p < 3; p++) AssertCost(wide[p], 2, 16 + 16.0 / 3, big, $"P{p} at {big}");
    }

    [Fact]
    public void ThreePc_comparison_takes_nine_rounds_and_at_most_64_bytes_per_element_42_when_balanced()
    {
        var s = Measure(SchemeKind.ThreePc, c => Two(c, 16, N), (c, t) => c.LessThanZero(t[0]));
        for (int p = 0; p < 3; p++) AssertCost(s[p], 9, Cmp3(p), N, $"P{p}");
        Assert.Equal(63.625 * N, s[0].BytesSent);
        const int big = 3072;                      // parts 1024 each
        var wide = Measure(SchemeKind.ThreePc, c => Two(c, 16, big), (c, t) => c.LessThanZero(t[0]));
        for (int p = 0; p < 3; p++) AssertCost(wide[p], 9, 31.625 + 32.0 / 3, big, $"P{p} at {big}");
    }

    [Fact]
    public void ThreePc_exp_takes_24_rounds_clamp_plus_three_polynomial_levels_plus_four_squarings()
    {
        // 9 + 1 clamp; Poly8: 4 products in 3 levels (the second on 2N elements); 4 squarings.
        var s = Measure(SchemeKind.ThreePc, c => Two(c, 16, N), (c, t) => c.Exp(t[0]));
        AssertCost(s[0], 24, Cmp3(0) + 8 + 6 * Trunc3(0) + 2 * Trunc3(0, 2 * N), N, "P0");
        AssertCost(s[1], 24, Cmp3(1) + 8 + 6 * Trunc3(1) + 2 * Trunc3(1, 2 * N), N, "P1");
        AssertCost(s[2], 24, Cmp3(2) + 8 + 6 * Trunc3(2) + 2 * Trunc3(2, 2 * N), N, "P2");
    }

    [Fact]
    public void ThreePc_silu_takes_16_rounds_one_comparison_batch_one_bit_product_round_and_three_polynomial_levels()
    {
        // 3 comparisons in one batch (9), 2 bit x value products (1), Poly8 (3 levels of 2).
        var s = Measure(SchemeKind.ThreePc, c => Two(c, 16, N), (c, t) => c.Silu(t[0]));
        AssertCost(s[0], 16, 3 * Cmp3(0, 3 * N) + 16 + 2 * Trunc3(0) + 2 * Trunc3(0, 2 * N), N, "P0");
        AssertCost(s[1], 16, 3 * Cmp3(1, 3 * N) + 16 + 2 * Trunc3(1) + 2 * Trunc3(1, 2 * N), N, "P1");
        AssertCost(s[2], 16, 3 * Cmp3(2, 3 * N) + 16 + 2 * Trunc3(2) + 2 * Trunc3(2, 2 * N), N, "P2");
    }

    [Fact]
    public void TwoPc_exp_and_silu_rounds()
    {
        var exp = Measure(SchemeKind.TwoPcDealer, c => Two(c, 16, N), (c, t) => c.Exp(t[0]));
        var silu = Measure(SchemeKind.TwoPcDealer, c => Two(c, 16, N), (c, t) => c.Silu(t[0]));
        for (int p = 0; p < 2; p++)
        {
            Assert.Equal(8 + 1 + 3 * 2 + 4 * 2, exp[p].Rounds);
            Assert.Equal(8 + 1 + 3 * 2, silu[p].Rounds);
        }
    }

    [Fact]
    public void ThreePc_max_of_1024_takes_five_levels_four_four_way_and_one_pairwise()
    {
        // 1024 -> 256 -> 64 -> 16 -> 4 -> 1: five four-way levels of compare (9) + 2 product rounds.
        var s = Measure(SchemeKind.ThreePc, c => Two(c, 16, 2, 1024), (c, t) => c.Max(t[0]));
        Assert.All(s, p => Assert.Equal(5 * 11, p.Rounds));
        // 512 -> 128 -> 32 -> 8 -> 2 -> 1: the last level is a pair, compare + 1.
        var s2 = Measure(SchemeKind.ThreePc, c => Two(c, 16, 2, 512), (c, t) => c.Max(t[0]));
        Assert.All(s2, p => Assert.Equal(4 * 11 + 10, p.Rounds));
    }

    [Theory]
    [InlineData(SchemeKind.ThreePc, 9)]
    [InlineData(SchemeKind.TwoPcDealer, 8)]
    public void Reciprocal_and_rsqrt_take_the_binade_comparison_plus_four_and_five_product_levels(SchemeKind scheme, int compare)
    {
        int mt = 2;   // a fixed-point product: 2 rounds in both schemes
        var rec = Measure(scheme, c => Two(c, 16, N), (c, t) => c.Reciprocal(t[0], 0, 12));
        var rs = Measure(scheme, c => Two(c, 16, N), (c, t) => c.Rsqrt(t[0]));
        var one = Measure(scheme, c => Two(c, 16, N), (c, t) => c.Reciprocal(t[0], 0, 1));
        for (int p = 0; p < 2; p++)
        {
            Assert.Equal(compare + 4 * mt, rec[p].Rounds);      // e = 1 - x y0, then three Goldschmidt levels
            Assert.Equal(compare + 5 * mt, rs[p].Rounds);       // e = 1 - x y0^2, Poly8 (3 levels), times y0
            Assert.Equal(4 * mt, one[p].Rounds);                // one binade: no comparison
        }
    }

    [Fact]
    public void TwoPc_multiply_opens_two_masked_values_in_one_round_and_the_dealer_sends_one_correction()
    {
        var s = Measure(SchemeKind.TwoPcDealer, c => Two(c, 0, N), (c, t) => c.Mul(t[0], t[1]));
        AssertCost(s[0], 1, 16, N, "P0");
        AssertCost(s[1], 1, 16, N, "P1");
        AssertCost(s[2], 0, 8, N, "dealer");
        Assert.Equal(0, s[2].BytesReceived);
    }

    [Fact]
    public void TwoPc_truncation_takes_one_round()
    {
        var s = Measure(SchemeKind.TwoPcDealer, c => Two(c, 16, N), (c, t) => c.Truncate(t[0], 16));
        AssertCost(s[0], 1, 8, N, "P0");
        AssertCost(s[1], 1, 8, N, "P1");
        AssertCost(s[2], 0, 16, N, "dealer");
    }

    [Fact]
    public void TwoPc_comparison_takes_eight_rounds()
    {
        var s = Measure(SchemeKind.TwoPcDealer, c => Two(c, 16, N), (c, t) => c.LessThanZero(t[0]));
        AssertCost(s[0], 8, 47.375, N, "P0");
        AssertCost(s[1], 8, 47.375, N, "P1");
        AssertCost(s[2], 0, 31.625, N, "dealer");
    }

    [Fact]
    public void TwoPc_prepared_weight_opens_its_mask_once_and_each_product_opens_only_the_activation()
    {
        const int m = 2, k = 32, n = 16;
        var res = InProcessSession.Run(SchemeKind.TwoPcDealer, InProcessSession.ComputeAndClient, ctx =>
        {
            var w = ctx.InputRing(PartyIds.Client, [k, n], ctx.PartyId == PartyIds.Client ? new ulong[k * n] : null, 0);
            var x = ctx.InputRing(PartyIds.Client, [m, k], ctx.PartyId == PartyIds.Client ? new ulong[m * k] : null, 0);
            var t0 = ctx.Channel.Total;
            var pw = ctx.PrepareWeight(w);
            var t1 = ctx.Channel.Total;
            ctx.MatMul(x, pw);
            var t2 = ctx.Channel.Total;
            ctx.MatMul(x, pw);
            var t3 = ctx.Channel.Total;
            return new[] { t1 - t0, t2 - t1, t3 - t2 };
        });
        for (int p = 0; p < 2; p++)
        {
            AssertCost(res[p][0], 1, 8, k * n, $"P{p} prepare");
            AssertCost(res[p][1], 1, 8, m * k, $"P{p} first product");
            AssertCost(res[p][2], 1, 8, m * k, $"P{p} second product");
        }
        AssertCost(res[2][1], 0, 8, m * n, "dealer per product");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Costs_are_readable_per_operation_label(SchemeKind scheme)
    {
        var res = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            var t = Two(ctx, 16, N);
            using (ctx.Scope("layer"))
            {
                ctx.Mul(t[0], t[1]);
                ctx.LessThanZero(t[0]);
            }
            return ctx.Channel.ByLabel;
        });
        var p0 = res[0];
        Assert.Equal(p0["mul"].Rounds + p0["compare"].Rounds, p0["layer"].Rounds);
        Assert.Equal(p0["mul"].BytesSent + p0["compare"].BytesSent, p0["layer"].BytesSent);
        Assert.True(p0["setup"].BytesSent > 0);
    }
}
