using PrivateInference.Protocols;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>Comparison and everything built on it: exact results on fresh random inputs.</summary>
public class ComparisonTests
{
    private static double[] Q(double[] a) => a.Select(v => Harness.Quantize(v)).ToArray();

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void LessThanZero_is_exact_across_the_whole_range(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 300, -1e9, 1e9).Concat(Harness.Uniform(rng, 100, -1e-3, 1e-3)).Concat([0.0, 1.0 / 65536, -1.0 / 65536]).ToArray();
        var got = Harness.RunToClient(scheme, ctx => ctx.LessThanZero(ctx.Input(PartyIds.Client, [a.Length], a)));
        Assert.Equal(Q(a).Select(v => v < 0 ? 1.0 : 0.0).ToArray(), got);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void GreaterThan_and_select_pick_the_larger(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 128, -50, 50);
        var b = Harness.Uniform(rng, 128, -50, 50);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [128], a);
            var y = ctx.Input(PartyIds.Client, [128], b);
            return ctx.Select(ctx.GreaterThan(x, y), x, y);
        });
        Assert.Equal(Q(a).Zip(Q(b), Math.Max).ToArray(), got);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Relu_and_drelu_are_exact(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var a = Harness.Uniform(rng, 128, -50, 50);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [128], a);
            return ctx.Concat([ctx.Relu(x), ctx.Rescale(ctx.DRelu(x), 16)], 0);
        });
        var q = Q(a);
        Assert.Equal(q.Select(v => Math.Max(v, 0)).Concat(q.Select(v => v >= 0 ? 1.0 : 0.0)).ToArray(), got);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Argmax_gives_ties_to_the_lowest_index_across_tournament_levels(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        foreach (var n in new[] { 5, 37, 100 })
        {
            // Few distinct values, so most rows hold the maximum several times, in different groups and levels.
            var a = Enumerable.Range(0, 4 * n).Select(_ => (double)rng.Next(0, 4)).ToArray();
            var got = Harness.RunToClient(scheme, ctx => ctx.Rescale(ctx.ArgMax(ctx.Input(PartyIds.Client, [4, n], a), boundLog2: 20), 16));
            for (int r = 0; r < 4; r++)
            {
                var row = a.Skip(r * n).Take(n).ToArray();
                int arg = Array.IndexOf(row, row.Max());
                Assert.Equal(Enumerable.Range(0, n).Select(j => j == arg ? 1.0 : 0.0), got.Skip(r * n).Take(n));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Argmax_with_a_payload_returns_the_winners_payload_row(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        foreach (var n in new[] { 1, 6, 37 })
        {
            const int rows = 3, d = 5;
            var a = Enumerable.Range(0, rows * n).Select(_ => (double)rng.Next(0, 6)).ToArray();
            var pay = Harness.Uniform(rng, rows * n * d, -50, 50);
            var got = Harness.RunToClient(scheme, ctx =>
            {
                var (oh, won) = ctx.ArgMaxWithPayload(ctx.Input(PartyIds.Client, [rows, n], a), ctx.Input(PartyIds.Client, [rows, n, d], pay), boundLog2: 20);
                return ctx.Concat([ctx.Rescale(oh, 16), won], 1);
            });
            var q = Q(pay);
            for (int r = 0; r < rows; r++)
            {
                var row = a.Skip(r * n).Take(n).ToArray();
                int arg = Array.IndexOf(row, row.Max());
                var expected = Enumerable.Range(0, n).Select(j => j == arg ? 1.0 : 0.0).Concat(q.Skip((r * n + arg) * d).Take(d)).ToArray();
                Assert.Equal(expected, got.Skip(r * (n + d)).Take(n + d).ToArray());
            }
        }
    }

    /// <summary>Payloads carried in the rings their consumers read (softmax's scores at 2f, a second arg-max's keys):
    /// the winners' bits above those rings are garbage (the openings and the helper's masks stop there), so a consumer
    /// that read them would go wrong; softmax and the arg-max give what they give on the full values.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Argmax_payloads_in_narrow_rings_feed_softmax_and_a_second_argmax(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        const int rows = 3, n = 6, d = 8, boundLog2 = 5;
        var keys = Enumerable.Range(0, rows * n).Select(_ => (double)rng.Next(0, 50)).ToArray();
        var scores = Harness.Uniform(rng, rows * n * d, -6, 6);
        var second = Harness.Uniform(rng, rows * n * d, -20, 20);
        var options = new MpcOptions { ScoreRangeLog2 = 8 };
        int[] rings = [];
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var one = ctx.Input(PartyIds.Client, [1], [1.0]);
            // Untruncated products at 2f, as the attention's scores and the cluster scores are.
            var s2 = ctx.MulExact(ctx.Input(PartyIds.Client, [rows, n, d], scores), one);
            var k2 = ctx.MulExact(ctx.Input(PartyIds.Client, [rows, n, d], second), one);
            int scoreRing = ctx.SoftmaxInputRing(s2.Scale), keyRing = MpcContext.ArgMaxInputRing(k2.Scale, boundLog2);
            var (_, won) = ctx.ArgMaxWithPayloads(ctx.Input(PartyIds.Client, [rows, n], keys), [s2, k2], [scoreRing, keyRing], boundLog2: 20);
            rings = [scoreRing, keyRing, won[0].Ring, won[1].Ring];
            return ctx.Concat([ctx.Softmax(won[0]), ctx.Rescale(ctx.ArgMax(won[1], boundLog2), 16)], 1);
        }, options);
        Assert.Equal([48, 40, 48, 40], rings);
        var expected = new List<double>();
        var q = Q(scores);
        for (int r = 0; r < rows; r++)
        {
            var row = keys.Skip(r * n).Take(n).ToArray();
            int arg = Array.IndexOf(row, row.Max());
            var s = q.Skip((r * n + arg) * d).Take(d).ToArray();
            double m = s.Max(), z = s.Sum(v => Math.Exp(v - m));
            expected.AddRange(s.Select(v => Math.Exp(v - m) / z));
            var k = second.Skip((r * n + arg) * d).Take(d).ToArray();
            expected.AddRange(Enumerable.Range(0, d).Select(j => j == Array.IndexOf(k, k.Max()) ? 1.0 : 0.0));
        }
        Harness.AssertClose([.. expected], got, 1e-3, 1e-2, "softmax and arg-max of narrow winners");
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Max_and_argmax_along_rows_of_odd_and_even_length(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        foreach (var n in new[] { 7, 16 })
        {
            var a = Harness.Uniform(rng, 3 * n, -100, 100);
            var got = Harness.RunToClient(scheme, ctx =>
            {
                var (max, oh) = ctx.MaxWithArg(ctx.Input(PartyIds.Client, [3, n], a));
                return ctx.Concat([ctx.Rescale(oh, 16), ctx.Reshape(max, 3, 1)], 1);
            });
            var q = Q(a);
            for (int r = 0; r < 3; r++)
            {
                var row = q.Skip(r * n).Take(n).ToArray();
                int arg = Array.IndexOf(row, row.Max());
                var expected = Enumerable.Range(0, n).Select(j => j == arg ? 1.0 : 0.0).Append(row.Max()).ToArray();
                Assert.Equal(expected, got.Skip(r * (n + 1)).Take(n + 1).ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Max_by_the_four_way_tournament_is_exact_for_every_row_length_and_with_ties(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        foreach (var n in new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 64, 65, 100 })
        {
            // Few distinct values, so rows have ties; plus ring-wide magnitudes.
            var a = Harness.Uniform(rng, 3 * n, -4, 4).Select(v => Math.Round(v)).ToArray();
            for (int i = 0; i < n; i += 5) a[i] = (i % 2 == 0 ? 1 : -1) * 1e9;
            var got = Harness.RunToClient(scheme, ctx => ctx.Max(ctx.Input(PartyIds.Client, [3, n], a)));
            var q = Q(a);
            var expected = Enumerable.Range(0, 3).Select(r => q.Skip(r * n).Take(n).Max()).ToArray();
            Assert.Equal(expected, got);
        }
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void TopK_returns_one_hot_rows_of_the_k_largest_in_order(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        const int n = 12, k = 4, rows = 2;
        var a = Harness.Uniform(rng, rows * n, -10, 10);
        var got = Harness.RunToClient(scheme, ctx => ctx.Rescale(ctx.TopK(ctx.Input(PartyIds.Client, [rows, n], a), k), 16));
        var q = Q(a);
        for (int r = 0; r < rows; r++)
        {
            var order = Enumerable.Range(0, n).OrderByDescending(j => q[r * n + j]).Take(k).ToArray();
            for (int t = 0; t < k; t++)
                for (int j = 0; j < n; j++)
                    Assert.Equal(j == order[t] ? 1.0 : 0.0, got[(r * k + t) * n + j]);
        }
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Gather_by_a_secret_one_hot_selects_rows_exactly(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        const int n = 10, d = 3;
        var m = Harness.Uniform(rng, n * d, -10, 10);
        var scores = Harness.Uniform(rng, n, -10, 10);
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var oh = ctx.TopK(ctx.Input(PartyIds.Client, [n], scores), 2);
            return ctx.Gather(oh, ctx.Input(PartyIds.Client, [n, d], m));
        });
        var qs = Q(scores); var qm = Q(m);
        var order = Enumerable.Range(0, n).OrderByDescending(j => qs[j]).Take(2).ToArray();
        Assert.Equal(order.SelectMany(j => qm.Skip(j * d).Take(d)).ToArray(), got);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void LessThanZero_reads_the_top_bit_of_any_ring_value_including_carry_chain_extremes(SchemeKind scheme)
    {
        var rng = Harness.FreshRng();
        var edge = new ulong[] { 0, 1, ulong.MaxValue, (1UL << 63) - 1, 1UL << 63, (1UL << 63) + 1, 0x5555555555555555, 0xAAAAAAAAAAAAAAAA };
        var v = edge.Concat(Enumerable.Range(0, 120).Select(_ => (ulong)rng.NextInt64() ^ ((ulong)rng.Next(2) << 63))).ToArray();
        var res = PrivateInference.Protocols.Communication.InProcessSession.Run(scheme, PrivateInference.Protocols.Communication.InProcessSession.ComputeAndClient, ctx =>
            ctx.RevealRing(ctx.LessThanZero(ctx.InputRing(PartyIds.Client, [v.Length], ctx.PartyId == PartyIds.Client ? v : null, 0)), PartyIds.Client));
        Assert.Equal(v.Select(x => x >> 63).ToArray(), res[3]);
    }
}
