using PrivateInference.Kernels.Ring;

namespace PrivateInference.Kernels.Tests.Ring;

public class RingOpsTests
{
    private static ulong[] Rand(System.Random r, int n) => Enumerable.Range(0, n).Select(_ => (ulong)r.NextInt64() ^ ((ulong)r.Next() << 63)).ToArray();

    [Fact]
    public void Elementwise_ops_wrap_modulo_2_pow_64()
    {
        var rng = new System.Random(1);
        const int n = 1003; // not a multiple of any vector width
        var a = Rand(rng, n); var b = Rand(rng, n); var c = Rand(rng, n);
        var d = new ulong[n];
        RingOps.Add(a, b, d); Assert.Equal(a.Zip(b, (x, y) => unchecked(x + y)), d);
        RingOps.Sub(a, b, d); Assert.Equal(a.Zip(b, (x, y) => unchecked(x - y)), d);
        RingOps.Mul(a, b, d); Assert.Equal(a.Zip(b, (x, y) => unchecked(x * y)), d);
        RingOps.Neg(a, d); Assert.Equal(a.Select(x => unchecked(0 - x)), d);
        RingOps.Scale(a, 12345, d); Assert.Equal(a.Select(x => unchecked(x * 12345)), d);
        RingOps.MulAdd(a, b, c, d); Assert.Equal(Enumerable.Range(0, n).Select(i => unchecked(a[i] * b[i] + c[i])), d);
        RingOps.Xor(a, b, d); Assert.Equal(a.Zip(b, (x, y) => x ^ y), d);
        RingOps.And(a, b, d); Assert.Equal(a.Zip(b, (x, y) => x & y), d);
    }

    [Fact]
    public void Arithmetic_shift_sign_extends_and_logical_shift_does_not()
    {
        var a = new[] { ulong.MaxValue - 1023, 4096UL };
        var d = new ulong[2];
        RingOps.ShiftRightArithmetic(a, 4, d);
        Assert.Equal(new[] { unchecked((ulong)(-64L)), 256UL }, d);
        RingOps.ShiftRightLogical(a, 4, d);
        Assert.Equal(new[] { (ulong.MaxValue - 1023) >> 4, 256UL }, d);
    }

    [Fact]
    public void Row_sums_reduce_the_last_axis()
    {
        var a = new ulong[] { 1, 2, 3, 4, 5, ulong.MaxValue };
        var d = new ulong[2];
        RingOps.RowSums(a, 3, d);
        Assert.Equal(new ulong[] { 6, 8 }, d);
    }
}
