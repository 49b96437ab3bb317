using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace PrivateInference.Kernels.Backends;

/// <summary>
/// Ring operations as ILGPU kernels: on a CUDA GPU in production, on ILGPU's CPU accelerator in tests (the same
/// kernels, slowly). The fused host operations upload their operands once, run every kernel of the protocol step
/// on device buffers and download the result once; steps too small to amortise the transfer go to the CPU
/// backend (see <see cref="IlgpuRingBackendOptions"/>). Work is serialised on one stream under a lock, because
/// in-process runs call from one thread per party.
/// </summary>
public sealed class IlgpuRingBackend : IRingBufferBackend
{
    /// <summary>Below this many rows per product the row kernel beats the 64-row tile.</summary>
    private const int TiledMinRows = 16;

    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly IlgpuRingBackendOptions _options;
    private readonly object _gate = new();
    /// <summary>Device copies of collected weights, released by the next call (finalizers must not touch the device).</summary>
    private readonly ConcurrentQueue<IDisposable> _released = new();
    private readonly Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> _add, _sub, _mul, _and, _xor;
    private readonly Action<Index1D, ArrayView<ulong>, ulong, ArrayView<ulong>> _scale;
    private readonly Action<Index1D, ArrayView<ulong>, int, ArrayView<ulong>> _sar;
    private readonly Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> _mul3, _and3;
    private readonly Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, int> _beaver;
    private readonly Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, MatMulShape> _matRows;
    private readonly Action<KernelConfig, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, MatMulShape> _matTiled;

    private IlgpuRingBackend(Context context, Accelerator accelerator, string name, IlgpuRingBackendOptions options)
    {
        _context = context;
        _accelerator = accelerator;
        _options = options;
        Name = name;
        Description = $"{name} ({accelerator.Name}, {accelerator.MemorySize / (1L << 30)} GiB)";
        _add = Elementwise(IlgpuRingKernels.Add);
        _sub = Elementwise(IlgpuRingKernels.Sub);
        _mul = Elementwise(IlgpuRingKernels.Mul);
        _and = Elementwise(IlgpuRingKernels.And);
        _xor = Elementwise(IlgpuRingKernels.Xor);
        _scale = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ulong, ArrayView<ulong>>(IlgpuRingKernels.Scale);
        _sar = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, int, ArrayView<ulong>>(IlgpuRingKernels.ShiftRightArithmetic);
        _mul3 = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>>(IlgpuRingKernels.MulCrossTerms);
        _and3 = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>>(IlgpuRingKernels.AndCrossTerms);
        _beaver = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, int>(IlgpuRingKernels.AccumulateBilinear);
        _matRows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, MatMulShape>(IlgpuRingKernels.MatMulRows);
        _matTiled = accelerator.LoadStreamKernel<ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, MatMulShape>(IlgpuRingKernels.MatMulTiled);
    }

    public string Name { get; }
    public string Description { get; }

    /// <summary>The first CUDA device, or null with the reason when there is none (no driver, or no GPU).</summary>
    public static IlgpuRingBackend? TryCreateCuda(IlgpuRingBackendOptions? options, out string reason)
    {
        Context? context = null;
        try
        {
            context = Context.Create(b => b.Cuda().EnableAlgorithms().Optimize(OptimizationLevel.O2));
            var devices = context.GetCudaDevices();
            if (devices.Count == 0)
            {
                context.Dispose();
                reason = "no CUDA device: ILGPU found no GPU through the CUDA driver (is libcuda installed and a GPU visible?)";
                return null;
            }
            var accelerator = context.CreateCudaAccelerator(0);
            reason = "";
            return new IlgpuRingBackend(context, accelerator, "cuda", options ?? IlgpuRingBackendOptions.FromEnvironment());
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or CudaException or NotSupportedException or InvalidOperationException)
        {
            context?.Dispose();
            reason = $"no usable CUDA device: {e.Message}";
            return null;
        }
    }

    /// <summary>
    /// ILGPU's CPU accelerator, simulating a GPU with 256-thread groups (the tiled kernel's 16 x 16) on one
    /// multiprocessor: runs the exact kernels that CUDA runs, for the correctness tests on machines without a GPU.
    /// </summary>
    public static IlgpuRingBackend CreateCpuAccelerator(IlgpuRingBackendOptions? options = null)
    {
        var context = Context.Create(b => b.EnableAlgorithms());
        var device = new CPUDevice(IlgpuRingKernels.GroupEdge, IlgpuRingKernels.GroupEdge, 1);
        var accelerator = device.CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel);
        return new IlgpuRingBackend(context, accelerator, "ilgpu-cpu", options ?? IlgpuRingBackendOptions.AlwaysDevice);
    }

    public IRingBuffer Allocate(long length)
    {
        lock (_gate)
        {
            ReleaseCollected();
            var memory = _accelerator.Allocate1D<ulong>(Math.Max(1, length));
            memory.MemSetToZero();
            return new IlgpuRingBuffer(this, memory, length);
        }
    }

    public IRingBuffer Upload(ReadOnlySpan<ulong> data)
    {
        lock (_gate)
        {
            ReleaseCollected();
            var memory = _accelerator.Allocate1D<ulong>(Math.Max(1, data.Length));
            if (data.Length > 0) memory.View.CopyFromCPU(ref MemoryMarshal.GetReference(data), data.Length);
            return new IlgpuRingBuffer(this, memory, data.Length);
        }
    }

    public void Download(IRingBuffer src, Span<ulong> dst)
    {
        lock (_gate)
        {
            _accelerator.Synchronize();
            if (dst.Length > 0) D(src).Memory.View.SubView(0, dst.Length).CopyToCPU(ref MemoryMarshal.GetReference(dst), dst.Length);
        }
    }

    public void Add(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => Binary(_add, a, b, dst);
    public void Sub(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => Binary(_sub, a, b, dst);
    public void Mul(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => Binary(_mul, a, b, dst);
    public void And(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => Binary(_and, a, b, dst);
    public void Xor(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => Binary(_xor, a, b, dst);

    public void Scale(IRingBuffer a, ulong c, IRingBuffer dst)
    {
        long n = a.Length;
        if (n == 0) return;
        lock (_gate) _scale((int)n, D(a).View(n), c, D(dst).View(n));
    }

    public void ShiftRightArithmetic(IRingBuffer a, int bits, IRingBuffer dst)
    {
        if (bits is < 0 or > 63) throw new ArgumentOutOfRangeException(nameof(bits));
        long n = a.Length;
        if (n == 0) return;
        lock (_gate) _sar((int)n, D(a).View(n), bits, D(dst).View(n));
    }

    public void MulCrossTerms(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst) =>
        CrossTerms(_mul3, x0, x1, y0, y1, alpha, dst);

    public void AndCrossTerms(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst) =>
        CrossTerms(_and3, x0, x1, y0, y1, alpha, dst);

    public void MatMul(IRingBuffer a, IRingBuffer b, IRingBuffer c, int batch, int m, int k, int n, bool bShared, bool accumulate)
    {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        if (a.Length < (long)batch * m * k || b.Length < (bShared ? 1L : batch) * k * n || c.Length < (long)batch * m * n)
            throw new ArgumentException("matrix buffers are smaller than the shape");
        if (bShared && batch > 1)
        {
            // A_b stacked by rows share one B: one tall product keeps the whole GPU busy.
            m *= batch;
            batch = 1;
        }
        var shape = new MatMulShape
        {
            M = m, K = k, N = n,
            StrideA = (long)m * k, StrideB = bShared ? 0 : (long)k * n, StrideC = (long)m * n,
            Accumulate = accumulate ? 1 : 0,
        };
        long la = (long)batch * m * k, lb = (bShared ? 1L : batch) * k * n, lc = (long)batch * m * n;
        lock (_gate)
        {
            var (va, vb, vc) = (D(a).View(Math.Max(1, la)), D(b).View(Math.Max(1, lb)), D(c).View(lc));
            if (m < TiledMinRows)
            {
                _matRows(checked((int)lc), va, vb, vc, shape);
                return;
            }
            const int tile = IlgpuRingKernels.Tile, edge = IlgpuRingKernels.GroupEdge;
            var grid = new Index3D((n + tile - 1) / tile, (m + tile - 1) / tile, batch);
            _matTiled(new KernelConfig(grid, new Index3D(edge, edge, 1)), va, vb, vc, shape);
        }
    }

    public void MulCrossTerms(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ)
    {
        if (alphaToZ.Length == 0 || alphaToZ.Length < _options.MinElements) { CpuRingBackend.Instance.MulCrossTerms(x0, x1, y0, y1, alphaToZ); return; }
        FusedCrossTerms(_mul3, x0, x1, y0, y1, alphaToZ);
    }

    public void AndCrossTerms(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ)
    {
        if (alphaToZ.Length == 0 || alphaToZ.Length < _options.MinElements) { CpuRingBackend.Instance.AndCrossTerms(x0, x1, y0, y1, alphaToZ); return; }
        FusedCrossTerms(_and3, x0, x1, y0, y1, alphaToZ);
    }

    public void MatMulCrossTerms(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ReadOnlySpan<ulong> b0, ReadOnlySpan<ulong> b1, Span<ulong> alphaToZ,
        int batch, int m, int k, int n, bool bShared)
    {
        if (Small(batch, m, k, n)) { CpuRingBackend.Instance.MatMulCrossTerms(a0, a1, b0, b1, alphaToZ, batch, m, k, n, bShared); return; }
        int lc = batch * m * n;
        using var da0 = Upload(a0);
        using var da1 = Upload(a1);
        using var db0 = Upload(b0);
        using var t = Upload(b1);
        using var z = Upload(alphaToZ[..lc]);
        Add(db0, t, t);
        MatMul(da0, t, z, batch, m, k, n, bShared, accumulate: true);
        MatMul(da1, db0, z, batch, m, k, n, bShared, accumulate: true);
        Download(z, alphaToZ[..lc]);
    }

    public ResidentSplitRhs PrepareSplitRhs(ulong[] b0, ulong[] b1, int k, int n)
    {
        if ((long)k * n < _options.MinResidentElements) return new ResidentSplitRhs(b0, b1, k, n);
        var db0 = Upload(b0.AsSpan(0, k * n));
        var t = Upload(b1.AsSpan(0, k * n));
        Add(db0, t, t);
        return new IlgpuResidentSplitRhs(this, b0, b1, k, n, t, db0);
    }

    public void MatMulCrossTerms(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ResidentSplitRhs rhs, Span<ulong> alphaToZ, int rows)
    {
        if (rhs is not IlgpuResidentSplitRhs resident || !ReferenceEquals(resident.Owner, this))
        {
            MatMulCrossTerms(a0, a1, rhs.B0, rhs.B1, alphaToZ, 1, rows, rhs.K, rhs.N, bShared: true);
            return;
        }
        int lc = rows * rhs.N;
        using var da0 = Upload(a0[..(rows * rhs.K)]);
        using var da1 = Upload(a1[..(rows * rhs.K)]);
        using var z = Upload(alphaToZ[..lc]);
        MatMul(da0, resident.Sum, z, 1, rows, rhs.K, rhs.N, bShared: true, accumulate: true);
        MatMul(da1, resident.First, z, 1, rows, rhs.K, rhs.N, bShared: true, accumulate: true);
        Download(z, alphaToZ[..lc]);
        GC.KeepAlive(resident);
    }

    public ResidentOffsetRhs PrepareOffsetRhs(ulong[] open, ulong[] mask, bool addOpen, int k, int n)
    {
        if ((long)k * n < _options.MinResidentElements) return new ResidentOffsetRhs(open, mask, addOpen, k, n);
        var e = Upload(open.AsSpan(0, k * n));
        var factor = Upload(mask.AsSpan(0, k * n));
        if (addOpen) Add(e, factor, factor);
        return new IlgpuResidentOffsetRhs(this, open, mask, addOpen, k, n, factor, e);
    }

    public void MatMulOffset(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> a, ResidentOffsetRhs rhs, Span<ulong> acc, int rows)
    {
        if (rhs is not IlgpuResidentOffsetRhs resident || !ReferenceEquals(resident.Owner, this))
        {
            CpuRingBackend.Instance.MatMulOffset(d, a, rhs, acc, rows);
            return;
        }
        int la = rows * rhs.K, lc = rows * rhs.N;
        using var dd = Upload(d[..la]);
        using var da = Upload(a[..la]);
        using var z = Upload(acc[..lc]);
        MatMul(dd, resident.DFactor, z, 1, rows, rhs.K, rhs.N, bShared: true, accumulate: true);
        MatMul(da, resident.OpenOnDevice, z, 1, rows, rhs.K, rhs.N, bShared: true, accumulate: true);
        Download(z, acc[..lc]);
        GC.KeepAlive(resident);
    }

    /// <summary>Called by a collected weight's finalizer: the buffers are freed by the next call on a normal thread.</summary>
    internal void ReleaseLater(IDisposable buffer) => _released.Enqueue(buffer);

    private void ReleaseCollected()
    {
        while (_released.TryDequeue(out var buffer)) buffer.Dispose();
    }

    public void MatMulAccumulate2(ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y1, ReadOnlySpan<ulong> x2, ReadOnlySpan<ulong> y2, Span<ulong> acc,
        int batch, int m, int k, int n, bool bShared)
    {
        if (Small(batch, m, k, n)) { CpuRingBackend.Instance.MatMulAccumulate2(x1, y1, x2, y2, acc, batch, m, k, n, bShared); return; }
        int lc = batch * m * n;
        using var dx1 = Upload(x1);
        using var dy1 = Upload(y1);
        using var dx2 = Upload(x2);
        using var dy2 = Upload(y2);
        using var z = Upload(acc[..lc]);
        MatMul(dx1, dy1, z, batch, m, k, n, bShared, accumulate: true);
        MatMul(dx2, dy2, z, batch, m, k, n, bShared, accumulate: true);
        Download(z, acc[..lc]);
    }

    public void MatMul(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int batch, int m, int k, int n, bool bShared)
    {
        if (Small(batch, m, k, n)) { CpuRingBackend.Instance.MatMul(a, b, c, batch, m, k, n, bShared); return; }
        int lc = batch * m * n;
        using var da = Upload(a);
        using var db = Upload(b);
        using var dc = Allocate(lc);
        MatMul(da, db, dc, batch, m, k, n, bShared, accumulate: false);
        Download(dc, c[..lc]);
    }

    public void AccumulateBilinear(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> e, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, bool addDe)
    {
        if (c.Length == 0 || c.Length < _options.MinElements) { CpuRingBackend.Instance.AccumulateBilinear(d, e, a, b, c, addDe); return; }
        int n = c.Length;
        using var dd = Upload(d[..n]);
        using var de = Upload(e[..n]);
        using var da = Upload(a[..n]);
        using var db = Upload(b[..n]);
        using var dc = Upload(c);
        lock (_gate) _beaver(n, D(dd).View(n), D(de).View(n), D(da).View(n), D(db).View(n), D(dc).View(n), addDe ? 1 : 0);
        Download(dc, c);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _accelerator.Dispose();
            _context.Dispose();
        }
    }

    /// <summary>Too little work to pay for the transfers; empty products (nothing to launch) also stay on the host.</summary>
    private bool Small(int batch, int m, int k, int n) => (long)batch * m * k * n is var work && (work == 0 || work < _options.MinMatMulWork);

    private void FusedCrossTerms(Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> kernel,
        ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ)
    {
        int n = alphaToZ.Length;
        using var dx0 = Upload(x0[..n]);
        using var dx1 = Upload(x1[..n]);
        using var dy0 = Upload(y0[..n]);
        using var dy1 = Upload(y1[..n]);
        using var z = Upload(alphaToZ);
        CrossTerms(kernel, dx0, dx1, dy0, dy1, z, z);
        Download(z, alphaToZ);
    }

    private void CrossTerms(Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> kernel,
        IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst)
    {
        long n = dst.Length;
        if (n == 0) return;
        lock (_gate) kernel((int)n, D(x0).View(n), D(x1).View(n), D(y0).View(n), D(y1).View(n), D(alpha).View(n), D(dst).View(n));
    }

    private void Binary(Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> kernel, IRingBuffer a, IRingBuffer b, IRingBuffer dst)
    {
        long n = Math.Min(a.Length, dst.Length);
        if (b.Length < n) throw new ArgumentException("operand buffers differ in length");
        if (n == 0) return;
        lock (_gate) kernel((int)n, D(a).View(n), D(b).View(n), D(dst).View(n));
    }

    private Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> Elementwise(Action<Index1D, ArrayView<ulong>, ArrayView<ulong>, ArrayView<ulong>> body) =>
        _accelerator.LoadAutoGroupedStreamKernel(body);

    private IlgpuRingBuffer D(IRingBuffer buffer) =>
        buffer is IlgpuRingBuffer d && ReferenceEquals(d.Owner, this) ? d : throw new ArgumentException("the buffer belongs to another backend");
}
