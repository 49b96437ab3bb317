using PrivateInference.Kernels.Backends;

namespace PrivateInference.Kernels.Tests.Backends;

/// <summary>The CPU backend against element-by-element references, on buffers and on the fused host operations.</summary>
public sealed class CpuRingBackendTests
{
    private readonly IRingBufferBackend _cpu = CpuRingBackend.Instance;
    private readonly System.Random _rng = new(7);

    [Fact]
    public void ElementwiseBufferOpsMatchTheRing()
    {
        const int n = 1003;
        var a = RingTestData.Random(_rng, n);
        var b = RingTestData.Random(_rng, n);
        Check((x, y, d) => _cpu.Add(x, y, d), a, b, (x, y) => x + y);
        Check((x, y, d) => _cpu.Sub(x, y, d), a, b, (x, y) => x - y);
        Check((x, y, d) => _cpu.Mul(x, y, d), a, b, (x, y) => x * y);
        Check((x, y, d) => _cpu.And(x, y, d), a, b, (x, y) => x & y);
        Check((x, y, d) => _cpu.Xor(x, y, d), a, b, (x, y) => x ^ y);
        Check((x, _, d) => _cpu.Scale(x, 0xDEADBEEF12345UL, d), a, b, (x, _) => x * 0xDEADBEEF12345UL);
        Check((x, _, d) => _cpu.ShiftRightArithmetic(x, 13, d), a, b, (x, _) => (ulong)((long)x >> 13));
    }

    [Fact]
    public void SharesProductsMatchTheFormula()
    {
        const int n = 517;
        var (x0, x1, y0, y1, alpha) = (R(n), R(n), R(n), R(n), R(n));
        var z = (ulong[])alpha.Clone();
        _cpu.MulCrossTerms(x0, x1, y0, y1, z);
        var zb = (ulong[])alpha.Clone();
        _cpu.AndCrossTerms(x0, x1, y0, y1, zb);
        using var buffers = new Buffers(_cpu, x0, x1, y0, y1, alpha);
        using var dst = _cpu.Allocate(n);
        _cpu.MulCrossTerms(buffers[0], buffers[1], buffers[2], buffers[3], buffers[4], dst);
        var viaBuffers = new ulong[n];
        _cpu.Download(dst, viaBuffers);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(x0[i] * y0[i] + x0[i] * y1[i] + x1[i] * y0[i] + alpha[i], z[i]);
            Assert.Equal(z[i], viaBuffers[i]);
            Assert.Equal((x0[i] & y0[i]) ^ (x0[i] & y1[i]) ^ (x1[i] & y0[i]) ^ alpha[i], zb[i]);
        }
    }

    [Fact]
    public void BeaverLocalTermsMatchTheFormula()
    {
        const int n = 300;
        var (d, e, a, b, c) = (R(n), R(n), R(n), R(n), R(n));
        foreach (bool addDe in new[] { false, true })
        {
            var z = (ulong[])c.Clone();
            _cpu.AccumulateBilinear(d, e, a, b, z, addDe);
            for (int i = 0; i < n; i++) Assert.Equal(c[i] + d[i] * b[i] + e[i] * a[i] + (addDe ? d[i] * e[i] : 0), z[i]);
        }
    }

    [Theory]
    [MemberData(nameof(RingTestData.MatMulShapes), MemberType = typeof(RingTestData))]
    public void MatMulsMatchTheNaiveProduct(int batch, int m, int k, int n, bool bShared)
    {
        int lb = (bShared ? 1 : batch) * k * n;
        var (a0, a1, b0, b1) = (R(batch * m * k), R(batch * m * k), R(lb), R(lb));
        var alpha = R(batch * m * n);

        var plain = new ulong[batch * m * n];
        _cpu.MatMul(a0, b0, plain, batch, m, k, n, bShared);
        var expected = RingTestData.NaiveMatMul(a0, b0, batch, m, k, n, bShared);
        Assert.Equal(expected, plain);

        var t = new ulong[lb];
        for (int i = 0; i < lb; i++) t[i] = b0[i] + b1[i];
        var p1 = RingTestData.NaiveMatMul(a0, t, batch, m, k, n, bShared);
        var p2 = RingTestData.NaiveMatMul(a1, b0, batch, m, k, n, bShared);
        var z = (ulong[])alpha.Clone();
        _cpu.MatMulCrossTerms(a0, a1, b0, b1, z, batch, m, k, n, bShared);
        for (int i = 0; i < z.Length; i++) Assert.Equal(alpha[i] + p1[i] + p2[i], z[i]);

        var acc = (ulong[])alpha.Clone();
        _cpu.MatMulAccumulate2(a0, t, a1, b0, acc, batch, m, k, n, bShared);
        Assert.Equal(z, acc);

        using var da = _cpu.Upload(a0);
        using var db = _cpu.Upload(b0);
        using var dc = _cpu.Upload(alpha);
        _cpu.MatMul(da, db, dc, batch, m, k, n, bShared, accumulate: true);
        var viaBuffers = new ulong[alpha.Length];
        _cpu.Download(dc, viaBuffers);
        for (int i = 0; i < alpha.Length; i++) Assert.Equal(alpha[i] + expected[i], viaBuffers[i]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PreparedWeightProductsMatchTheNaiveProduct(bool addOpen)
    {
        const int rows = 3, k = 10, n = 7;
        var (a0, a1, b0, b1, alpha) = (R(rows * k), R(rows * k), R(k * n), R(k * n), R(rows * n));
        var z = (ulong[])alpha.Clone();
        _cpu.MatMulCrossTerms(a0, a1, _cpu.PrepareSplitRhs(b0, b1, k, n), z, rows);
        var sum = b0.Zip(b1, (x, y) => x + y).ToArray();
        var p1 = RingTestData.NaiveMatMul(a0, sum, 1, rows, k, n, false);
        var p2 = RingTestData.NaiveMatMul(a1, b0, 1, rows, k, n, false);
        for (int i = 0; i < z.Length; i++) Assert.Equal(alpha[i] + p1[i] + p2[i], z[i]);

        var acc = (ulong[])alpha.Clone();
        _cpu.MatMulOffset(a0, a1, _cpu.PrepareOffsetRhs(b0, b1, addOpen, k, n), acc, rows);
        var factor = addOpen ? b0.Zip(b1, (e, m) => e + m).ToArray() : b1;
        var q1 = RingTestData.NaiveMatMul(a0, factor, 1, rows, k, n, false);
        var q2 = RingTestData.NaiveMatMul(a1, b0, 1, rows, k, n, false);
        for (int i = 0; i < acc.Length; i++) Assert.Equal(alpha[i] + q1[i] + q2[i], acc[i]);
    }

    private ulong[] R(int n) => RingTestData.Random(_rng, n);

    private void Check(Action<IRingBuffer, IRingBuffer, IRingBuffer> op, ulong[] a, ulong[] b, Func<ulong, ulong, ulong> reference)
    {
        using var da = _cpu.Upload(a);
        using var db = _cpu.Upload(b);
        using var dst = _cpu.Allocate(a.Length);
        op(da, db, dst);
        var got = new ulong[a.Length];
        _cpu.Download(dst, got);
        for (int i = 0; i < a.Length; i++) Assert.Equal(reference(a[i], b[i]), got[i]);
    }
}
