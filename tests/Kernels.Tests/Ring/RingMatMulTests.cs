using PrivateInference.Kernels.Ring;

namespace PrivateInference.Kernels.Tests.Ring;

public class RingMatMulTests
{
    private static ulong[] Rand(System.Random r, int n) => Enumerable.Range(0, n).Select(_ => (ulong)r.NextInt64() * 3).ToArray();

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 5, 7)]
    [InlineData(1, 200, 300)]   // one row: threads split the columns
    [InlineData(70, 64, 90)]    // many rows: threads split the rows
    public void Fast_product_equals_the_naive_triple_loop(int m, int k, int n)
    {
        var rng = new System.Random(m * 1000 + k + n);
        var a = Rand(rng, m * k); var b = Rand(rng, k * n);
        var fast = new ulong[m * n]; var slow = new ulong[m * n];
        RingMatMul.Multiply(a, b, fast, m, k, n);
        RingMatMul.MultiplyNaive(a, b, slow, m, k, n);
        Assert.Equal(slow, fast);
    }

    [Fact]
    public void Batched_product_with_a_shared_right_matrix_equals_per_batch_products()
    {
        var rng = new System.Random(9);
        const int batch = 3, m = 4, k = 5, n = 6;
        var a = Rand(rng, batch * m * k); var b = Rand(rng, k * n);
        var c = new ulong[batch * m * n];
        RingMatMul.MultiplyBatched(a, b, c, batch, m, k, n, bShared: true);
        for (int t = 0; t < batch; t++)
        {
            var one = new ulong[m * n];
            RingMatMul.MultiplyNaive(a.AsSpan(t * m * k, m * k), b, one, m, k, n);
            Assert.Equal(one, c.AsSpan(t * m * n, m * n).ToArray());
        }
    }

    [Fact]
    public void Transpose_swaps_the_last_two_axes()
    {
        var src = Enumerable.Range(0, 12).Select(i => (ulong)i).ToArray();
        var dst = new ulong[12];
        RingMatMul.Transpose(src, dst, 2, 2, 3);
        Assert.Equal(new ulong[] { 0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11 }, dst);
    }
}
