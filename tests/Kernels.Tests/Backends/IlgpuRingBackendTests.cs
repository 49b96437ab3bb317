using PrivateInference.Kernels.Backends;

namespace PrivateInference.Kernels.Tests.Backends;

/// <summary>
/// Every ILGPU kernel, run by ILGPU's CPU accelerator (the same kernels CUDA runs; CI has no GPU), against the CPU
/// backend on random inputs: results must be bit-identical. Sizes are small because the accelerator simulates
/// 256-thread groups with OS threads.
/// </summary>
public sealed class IlgpuRingBackendTests(IlgpuCpuAcceleratorFixture fixture) : IClassFixture<IlgpuCpuAcceleratorFixture>
{
    private readonly IRingBufferBackend _gpu = fixture.Backend;
    private readonly IRingBufferBackend _cpu = CpuRingBackend.Instance;
    private readonly System.Random _rng = new(11);

    [Fact]
    public void ElementwiseKernelsMatchTheCpuBackend()
    {
        const int n = 1537;
        var a = R(n);
        var b = R(n);
        Same((be, x, y, d) => be.Add(x, y, d), a, b);
        Same((be, x, y, d) => be.Sub(x, y, d), a, b);
        Same((be, x, y, d) => be.Mul(x, y, d), a, b);
        Same((be, x, y, d) => be.And(x, y, d), a, b);
        Same((be, x, y, d) => be.Xor(x, y, d), a, b);
        Same((be, x, _, d) => be.Scale(x, 0x9E3779B97F4A7C15UL, d), a, b);
        foreach (int bits in new[] { 0, 1, 16, 63 })
            Same((be, x, _, d) => be.ShiftRightArithmetic(x, bits, d), a, b);
    }

    [Fact]
    public void ElementwiseKernelsMayWriteOverAnInput()
    {
        var a = R(100);
        var b = R(100);
        using var da = _gpu.Upload(a);
        using var db = _gpu.Upload(b);
        _gpu.Add(da, db, da);
        var got = new ulong[100];
        _gpu.Download(da, got);
        for (int i = 0; i < 100; i++) Assert.Equal(a[i] + b[i], got[i]);
    }

    [Fact]
    public void ShareKernelsMatchTheCpuBackend()
    {
        const int n = 999;
        var (x0, x1, y0, y1, alpha) = (R(n), R(n), R(n), R(n), R(n));
        foreach (bool boolean in new[] { false, true })
        {
            var expected = (ulong[])alpha.Clone();
            var fused = (ulong[])alpha.Clone();
            if (boolean) { _cpu.AndCrossTerms(x0, x1, y0, y1, expected); _gpu.AndCrossTerms(x0, x1, y0, y1, fused); }
            else { _cpu.MulCrossTerms(x0, x1, y0, y1, expected); _gpu.MulCrossTerms(x0, x1, y0, y1, fused); }
            Assert.Equal(expected, fused);

            using var inputs = new Buffers(_gpu, x0, x1, y0, y1, alpha);
            using var dst = _gpu.Allocate(n);
            if (boolean) _gpu.AndCrossTerms(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], dst);
            else _gpu.MulCrossTerms(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], dst);
            var viaBuffers = new ulong[n];
            _gpu.Download(dst, viaBuffers);
            Assert.Equal(expected, viaBuffers);
        }
    }

    [Fact]
    public void BeaverKernelMatchesTheCpuBackend()
    {
        const int n = 777;
        var (d, e, a, b, c) = (R(n), R(n), R(n), R(n), R(n));
        foreach (bool addDe in new[] { false, true })
        {
            var expected = (ulong[])c.Clone();
            var got = (ulong[])c.Clone();
            _cpu.AccumulateBilinear(d, e, a, b, expected, addDe);
            _gpu.AccumulateBilinear(d, e, a, b, got, addDe);
            Assert.Equal(expected, got);
        }
    }

    [Theory]
    [MemberData(nameof(RingTestData.MatMulShapes), MemberType = typeof(RingTestData))]
    public void MatMulKernelsMatchTheCpuBackend(int batch, int m, int k, int n, bool bShared)
    {
        int lb = (bShared ? 1 : batch) * k * n, lc = batch * m * n;
        var (a0, a1, b0, b1, alpha) = (R(batch * m * k), R(batch * m * k), R(lb), R(lb), R(lc));

        var expected = new ulong[lc];
        var got = new ulong[lc];
        _cpu.MatMul(a0, b0, expected, batch, m, k, n, bShared);
        _gpu.MatMul(a0, b0, got, batch, m, k, n, bShared);
        Assert.Equal(expected, got);

        var z = (ulong[])alpha.Clone();
        var zg = (ulong[])alpha.Clone();
        _cpu.MatMulCrossTerms(a0, a1, b0, b1, z, batch, m, k, n, bShared);
        _gpu.MatMulCrossTerms(a0, a1, b0, b1, zg, batch, m, k, n, bShared);
        Assert.Equal(z, zg);

        var acc = (ulong[])alpha.Clone();
        var accg = (ulong[])alpha.Clone();
        _cpu.MatMulAccumulate2(a0, b1, a1, b0, acc, batch, m, k, n, bShared);
        _gpu.MatMulAccumulate2(a0, b1, a1, b0, accg, batch, m, k, n, bShared);
        Assert.Equal(acc, accg);
    }

    [Theory]
    [InlineData(1, 33, 70)]
    [InlineData(5, 16, 64)]
    [InlineData(70, 37, 65)]
    public void ResidentWeightProductsMatchTheCpuBackend(int rows, int k, int n)
    {
        var (a0, a1, b0, b1, alpha) = (R(rows * k), R(rows * k), R(k * n), R(k * n), R(rows * n));
        var expected = (ulong[])alpha.Clone();
        _cpu.MatMulCrossTerms(a0, a1, _cpu.PrepareSplitRhs(b0, b1, k, n), expected, rows);
        var resident = _gpu.PrepareSplitRhs(b0, b1, k, n);
        Assert.NotEqual(typeof(ResidentSplitRhs), resident.GetType());
        for (int step = 0; step < 2; step++)
        {
            var got = (ulong[])alpha.Clone();
            _gpu.MatMulCrossTerms(a0, a1, resident, got, rows);
            Assert.Equal(expected, got);
        }
    }

    [Theory]
    [InlineData(1, 33, 70, true)]
    [InlineData(1, 33, 70, false)]
    [InlineData(70, 37, 65, true)]
    public void ResidentBeaverProductsMatchTheCpuBackend(int rows, int k, int n, bool addOpen)
    {
        var (d, a, open, mask, acc) = (R(rows * k), R(rows * k), R(k * n), R(k * n), R(rows * n));
        var expected = (ulong[])acc.Clone();
        _cpu.MatMulOffset(d, a, _cpu.PrepareOffsetRhs(open, mask, addOpen, k, n), expected, rows);
        var resident = _gpu.PrepareOffsetRhs(open, mask, addOpen, k, n);
        Assert.NotEqual(typeof(ResidentOffsetRhs), resident.GetType());
        var got = (ulong[])acc.Clone();
        _gpu.MatMulOffset(d, a, resident, got, rows);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void AWeightPreparedElsewhereIsMultipliedFromItsHostComponents()
    {
        var (a0, a1, b0, b1, alpha) = (R(3 * 20), R(3 * 20), R(20 * 30), R(20 * 30), R(3 * 30));
        var expected = (ulong[])alpha.Clone();
        var got = (ulong[])alpha.Clone();
        var onCpu = _cpu.PrepareSplitRhs(b0, b1, 20, 30);
        _cpu.MatMulCrossTerms(a0, a1, onCpu, expected, 3);
        _gpu.MatMulCrossTerms(a0, a1, onCpu, got, 3);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void SmallStepsFallBackToTheCpuWithTheSameResult()
    {
        using var gated = IlgpuRingBackend.CreateCpuAccelerator(new IlgpuRingBackendOptions());
        var (a, b) = (R(8 * 12), R(12 * 10));
        var expected = new ulong[80];
        var got = new ulong[80];
        _cpu.MatMul(a, b, expected, 1, 8, 12, 10, false);
        gated.MatMul(a, b, got, 1, 8, 12, 10, false);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void EmptyOperandsAreNoOps()
    {
        ulong[] none = [];
        _gpu.MulCrossTerms(none, none, none, none, none);
        _gpu.AndCrossTerms(none, none, none, none, none);
        _gpu.AccumulateBilinear(none, none, none, none, none, addDe: true);
        _gpu.MatMul(none, none, none, 1, 0, 5, 0, false);
        using var empty = _gpu.Allocate(0);
        Assert.Equal(0, empty.Length);
        _gpu.Add(empty, empty, empty);
        _gpu.ShiftRightArithmetic(empty, 3, empty);
        var z = new ulong[4];
        _gpu.MatMulCrossTerms(none, none, _gpu.PrepareSplitRhs(R(0), R(0), 0, 4), z, 0);
        Assert.Equal(new ulong[4], z);
    }

    [Fact]
    public void BuffersOfAnotherBackendAreRefused()
    {
        using var foreign = _cpu.Upload(R(4));
        using var own = _gpu.Allocate(4);
        Assert.Throws<ArgumentException>(() => _gpu.Add(foreign, own, own));
    }

    [Fact]
    public void TheAcceleratorIsNamedForTheReport()
    {
        Assert.Equal("ilgpu-cpu", _gpu.Name);
        Assert.StartsWith("ilgpu-cpu (", _gpu.Description);
    }

    private ulong[] R(int n) => RingTestData.Random(_rng, n);

    private void Same(Action<IRingBufferBackend, IRingBuffer, IRingBuffer, IRingBuffer> op, ulong[] a, ulong[] b)
    {
        Assert.Equal(Run(_cpu, op, a, b), Run(_gpu, op, a, b));
    }

    private static ulong[] Run(IRingBufferBackend backend, Action<IRingBufferBackend, IRingBuffer, IRingBuffer, IRingBuffer> op, ulong[] a, ulong[] b)
    {
        using var da = backend.Upload(a);
        using var db = backend.Upload(b);
        using var dst = backend.Allocate(a.Length);
        op(backend, da, db, dst);
        var got = new ulong[a.Length];
        backend.Download(dst, got);
        return got;
    }
}
