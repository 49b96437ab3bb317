using PrivateInference.Protocols.Circuits;

namespace PrivateInference.Protocols.Tests.Circuits;

/// <summary>The sign gate on the 2-out-of-2 form, run directly on P0, P1 and the helper P2: right for every value of
/// its width, and its opening C = x + 2^k + ρ travels modulo 2^(k+1), the only bits it reads.</summary>
public class MaskedComparisonTests
{
    private const int N = 64;

    [Theory]
    [InlineData(20, 3)]
    [InlineData(63, 8)]
    public void The_sign_is_right_and_its_opening_takes_the_bytes_of_k_plus_one_bits(int k, int openBytes)
    {
        var rng = new Random(k);
        long bound = 1L << Math.Min(k, 62);
        var x = Enumerable.Range(0, N).Select(i => i == 0 ? -bound : i == 1 ? bound - 1 : i == 2 ? 0 : rng.NextInt64(-bound, bound)).ToArray();
        var split = Enumerable.Range(0, N).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var results = HelperGateHarness.Run($"sign-{k}", (ctx, keys) =>
        {
            int me = ctx.PartyId;
            var share = HelperGateHarness.Split(me, x, split);
            var before = ctx.Channel.Total;
            var bits = new MaskedComparison(ctx.Channel, keys).Sign(share, k);
            return (Bits: me < 2 ? bits.C[0] : [], Cost: ctx.Channel.Total - before);
        });
        for (int i = 0; i < N; i++)
            Assert.Equal(x[i] < 0 ? 1UL : 0UL, results[0].Bits[i] + results[1].Bits[i]);
        // P0 sends the opening (⌈(k + 1)/8⌉ bytes per element) and k per-bit elements of Z_p per element, packed.
        int p = k + 2;
        while (Enumerable.Range(2, p - 2).Any(d => d * d <= p && p % d == 0)) p++;
        long digits = ((long)N * k * (int)Math.Ceiling(Math.Log2(p)) + 7) / 8;
        Assert.Equal(N * openBytes + digits, results[0].Cost.BytesSent);
    }

    /// <summary>One batch whose segments skip different low bits (SiLU's sign test and its coarser tests against ±8):
    /// each segment is exact beyond its own resolution 2^drop, and P0 sends k − drop per-bit elements per element of
    /// each segment, with one flip per element for the whole batch.</summary>
    [Fact]
    public void Segments_of_one_batch_skip_their_own_low_bits()
    {
        const int k = 24, fine = 2, coarse = 11;
        var rng = new Random(5);
        long Beyond(int drop) => (rng.Next(2) == 0 ? -1 : 1) * rng.NextInt64(1L << drop, 1L << (k - 1));
        var x = Enumerable.Range(0, 3 * N).Select(i => Beyond(i < N ? fine : coarse)).ToArray();
        var split = Enumerable.Range(0, 3 * N).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var results = HelperGateHarness.Run("sign-segments", (ctx, keys) =>
        {
            int me = ctx.PartyId;
            var share = HelperGateHarness.Split(me, x, split);
            var before = ctx.Channel.Total;
            var bits = new MaskedComparison(ctx.Channel, keys).Sign(share, k, drops: [(N, fine), (2 * N, coarse)]);
            return (Bits: me < 2 ? bits.C[0] : [], Cost: ctx.Channel.Total - before);
        });
        for (int i = 0; i < 3 * N; i++)
            Assert.Equal(x[i] < 0 ? 1UL : 0UL, results[0].Bits[i] + results[1].Bits[i]);
        // Opening: ⌈25/8⌉ = 4 bytes per element; per-bit elements of Z_29 (5 bits) for both widths 22 and 13 (Z_17).
        long Digits(long count, int width, int bitsPer) => (count * width * bitsPer + 7) / 8;
        Assert.Equal(3L * N * 4 + Digits(N, k - fine, 5) + Digits(2 * N, k - coarse, 5), results[0].Cost.BytesSent);
    }

    /// <summary>Tests of shifted copies of a factor (SiLU's x, x − 8, x + 8) with their products by it: right beyond each
    /// segment's resolution; the compared values open nothing of their own (P0 sends the factor's opening, 8 bytes per
    /// factor, and its per-bit elements, nothing per compared element), and the helper sends each segment's bit and
    /// product shares in that segment's ring, right modulo it.</summary>
    [Fact]
    public void Shifted_tests_share_their_factors_opening_and_answer_in_each_segments_ring()
    {
        const int k = 24, fine = 2, coarse = 11, narrow = 40;
        var rng = new Random(9);
        long shift = 1L << 16;
        // Factors whose three shifted values all lie beyond their segments' resolutions.
        var v = new long[N];
        for (int j = 0; j < N; j++)
        {
            long c;
            do c = rng.NextInt64(-(1L << (k - 2)), 1L << (k - 2));
            while (Math.Abs(c) < 1L << fine || Math.Abs(c - shift) < 1L << coarse || Math.Abs(c + shift) < 1L << coarse);
            v[j] = c;
        }
        var idx = Enumerable.Range(0, 3 * N).Select(i => i % N).ToArray();
        var shifts = Enumerable.Range(0, 3 * N).Select(i => i < N ? 0UL : i < 2 * N ? (ulong)(-shift) : (ulong)shift).ToArray();
        var split = Enumerable.Range(0, N).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var results = HelperGateHarness.Run("sign-shifted", (ctx, keys) =>
        {
            int me = ctx.PartyId;
            var share = HelperGateHarness.Split(me, v, split);
            var before = ctx.Channel.Total;
            var (bits, prods) = new MaskedComparison(ctx.Channel, keys).SignOfShifted(share, k, idx, shifts, [(N, fine), (2 * N, coarse)], [64, narrow]);
            return (Bits: me < 2 ? bits.C[0] : [], Prods: me < 2 ? prods.C[0] : [], Cost: ctx.Channel.Total - before);
        });
        ulong low = (1UL << narrow) - 1;
        for (int i = 0; i < 3 * N; i++)
        {
            long x = v[idx[i]] + (long)shifts[i];
            ulong bit = x < 0 ? 1UL : 0UL, prod = x < 0 ? (ulong)v[idx[i]] : 0;
            ulong mask = i < N ? ulong.MaxValue : low;
            Assert.Equal(bit, (results[0].Bits[i] + results[1].Bits[i]) & mask);
            Assert.Equal(prod & mask, (results[0].Prods[i] + results[1].Prods[i]) & mask);
        }
        long Digits(long count, int width, int bitsPer) => (count * width * bitsPer + 7) / 8;
        Assert.Equal(8L * N + Digits(N, k - fine, 5) + Digits(2 * N, k - coarse, 5), results[0].Cost.BytesSent);
        // The helper: bit shares of the masks' kept bits (as Sign), then w and w·m, 8 bytes each in the first segment,
        // 5 in the others.
        Assert.Equal(Digits(N, k - fine, 5) + Digits(2 * N, k - coarse, 5) + 2 * (8L * N + 5L * 2 * N), results[2].Cost.BytesSent);
    }

    [Fact]
    public void Segments_that_do_not_cover_the_batch_are_refused()
    {
        var e = Assert.ThrowsAny<Exception>(() => HelperGateHarness.Run("sign-bad-segments", (ctx, keys) =>
            new MaskedComparison(ctx.Channel, keys).Sign(HelperGateHarness.Split(ctx.PartyId, new long[N], new ulong[N]), 20, drops: [(N - 1, 2)])));
        Assert.Contains("segments cover", (e.InnerException ?? e).Message);
    }
}
