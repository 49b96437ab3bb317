using System.Buffers;
using System.Runtime.Intrinsics.X86;
using PrivateInference.Kernels.Ring;

namespace PrivateInference.Kernels.Backends;

/// <summary>
/// The default backend: the SIMD (TensorPrimitives, AVX-512 here) elementwise ops of <see cref="RingOps"/> and the
/// threaded <see cref="RingMatMul"/>. The fused host operations work on the caller's spans directly, with no copy,
/// so routing the protocols through this backend costs one interface call per step. Temporaries are rented from
/// <see cref="ArrayPool{T}"/>: a fresh multi-megabyte array per step costs more in page faults than its arithmetic.
/// </summary>
public sealed class CpuRingBackend : IRingBufferBackend
{
    public static CpuRingBackend Instance { get; } = new();

    private CpuRingBackend() { }

    public string Name => "cpu";

    public string Description =>
        $"cpu ({(Avx512F.IsSupported ? "AVX-512" : Avx2.IsSupported ? "AVX2" : "SIMD")}, {Environment.ProcessorCount} threads)";

    public IRingBuffer Allocate(long length) => new CpuRingBuffer(new ulong[length]);

    public IRingBuffer Upload(ReadOnlySpan<ulong> data) => new CpuRingBuffer(data.ToArray());

    public void Download(IRingBuffer src, Span<ulong> dst) => H(src).AsSpan(0, dst.Length).CopyTo(dst);

    public void Add(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => RingOps.Add(H(a), H(b), H(dst));
    public void Sub(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => RingOps.Sub(H(a), H(b), H(dst));
    public void Mul(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => RingOps.Mul(H(a), H(b), H(dst));
    public void Scale(IRingBuffer a, ulong c, IRingBuffer dst) => RingOps.Scale(H(a), c, H(dst));
    public void ShiftRightArithmetic(IRingBuffer a, int bits, IRingBuffer dst) => RingOps.ShiftRightArithmetic(H(a), bits, H(dst));
    public void And(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => RingOps.And(H(a), H(b), H(dst));
    public void Xor(IRingBuffer a, IRingBuffer b, IRingBuffer dst) => RingOps.Xor(H(a), H(b), H(dst));

    public void MulCrossTerms(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst)
    {
        if (!ReferenceEquals(alpha, dst)) H(alpha).CopyTo(H(dst), 0);
        MulCrossTerms(H(x0), H(x1), H(y0), H(y1), H(dst));
    }

    public void AndCrossTerms(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst)
    {
        if (!ReferenceEquals(alpha, dst)) H(alpha).CopyTo(H(dst), 0);
        AndCrossTerms(H(x0), H(x1), H(y0), H(y1), H(dst));
    }

    public void MatMul(IRingBuffer a, IRingBuffer b, IRingBuffer c, int batch, int m, int k, int n, bool bShared, bool accumulate)
    {
        if (!accumulate) { RingMatMul.MultiplyBatched(H(a), H(b), H(c), batch, m, k, n, bShared); return; }
        var prod = new ulong[(long)batch * m * n];
        RingMatMul.MultiplyBatched(H(a), H(b), prod, batch, m, k, n, bShared);
        RingOps.Add(H(c).AsSpan(0, prod.Length), prod, H(c).AsSpan(0, prod.Length));
    }

    public void MulCrossTerms(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ)
    {
        // x0 (y0 + y1) + x1 y0: two vector products instead of three.
        int n = alphaToZ.Length;
        var rented = ArrayPool<ulong>.Shared.Rent(n);
        var t = rented.AsSpan(0, n);
        RingOps.Add(y0[..n], y1[..n], t);
        RingOps.MulAdd(x0[..n], t, alphaToZ, alphaToZ);
        RingOps.MulAdd(x1[..n], y0[..n], alphaToZ, alphaToZ);
        ArrayPool<ulong>.Shared.Return(rented);
    }

    public void AndCrossTerms(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ)
    {
        int n = alphaToZ.Length;
        var rented = ArrayPool<ulong>.Shared.Rent(2 * n);
        var t = rented.AsSpan(0, n);
        var u = rented.AsSpan(n, n);
        RingOps.Xor(y0[..n], y1[..n], t);
        RingOps.And(x0[..n], t, u);
        RingOps.Xor(alphaToZ, u, alphaToZ);
        RingOps.And(x1[..n], y0[..n], u);
        RingOps.Xor(alphaToZ, u, alphaToZ);
        ArrayPool<ulong>.Shared.Return(rented);
    }

    public void MatMulCrossTerms(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ReadOnlySpan<ulong> b0, ReadOnlySpan<ulong> b1, Span<ulong> alphaToZ,
        int batch, int m, int k, int n, bool bShared)
    {
        int lb = (bShared ? 1 : batch) * k * n;
        var rented = ArrayPool<ulong>.Shared.Rent(lb);
        var t = rented.AsSpan(0, lb);
        RingOps.Add(b0[..lb], b1[..lb], t);
        MatMulAccumulate2(a0, t, a1, b0, alphaToZ, batch, m, k, n, bShared);
        ArrayPool<ulong>.Shared.Return(rented);
    }

    /// <summary>The weight-side sum B0 + B1 is computed once: a one-row product is then two matmuls and nothing else.</summary>
    public ResidentSplitRhs PrepareSplitRhs(ulong[] b0, ulong[] b1, int k, int n)
    {
        var sum = new ulong[b0.Length];
        RingOps.Add(b0, b1, sum);
        return new CpuResidentSplitRhs(b0, b1, sum, k, n);
    }

    public void MatMulCrossTerms(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ResidentSplitRhs rhs, Span<ulong> alphaToZ, int rows)
    {
        if (rhs is CpuResidentSplitRhs cached)
            MatMulAccumulate2(a0, cached.Sum, a1, rhs.B0, alphaToZ, 1, rows, rhs.K, rhs.N, bShared: true);
        else
            MatMulCrossTerms(a0, a1, rhs.B0, rhs.B1, alphaToZ, 1, rows, rhs.K, rhs.N, bShared: true);
    }

    private sealed class CpuResidentSplitRhs(ulong[] b0, ulong[] b1, ulong[] sum, int k, int n) : ResidentSplitRhs(b0, b1, k, n)
    {
        public ulong[] Sum { get; } = sum;
    }

    /// <summary>The D factor (E + B_0 at P0, B_1 at P1) is formed once per session, not once per product.</summary>
    public ResidentOffsetRhs PrepareOffsetRhs(ulong[] open, ulong[] mask, bool addOpen, int k, int n)
    {
        var factor = mask;
        if (addOpen)
        {
            factor = new ulong[mask.Length];
            RingOps.Add(open, mask, factor);
        }
        return new CpuResidentOffsetRhs(open, mask, addOpen, factor, k, n);
    }

    public void MatMulOffset(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> a, ResidentOffsetRhs rhs, Span<ulong> acc, int rows)
    {
        int lb = rhs.K * rhs.N;
        if (rhs is CpuResidentOffsetRhs cached)
        {
            MatMulAccumulate2(d, cached.Factor, a, rhs.Open, acc, 1, rows, rhs.K, rhs.N, bShared: false);
            return;
        }
        var rented = ArrayPool<ulong>.Shared.Rent(lb);
        var eb = rented.AsSpan(0, lb);
        if (rhs.AddOpen) RingOps.Add(rhs.Open.AsSpan(0, lb), rhs.Mask.AsSpan(0, lb), eb); else rhs.Mask.AsSpan(0, lb).CopyTo(eb);
        MatMulAccumulate2(d, eb, a, rhs.Open, acc, 1, rows, rhs.K, rhs.N, bShared: false);
        ArrayPool<ulong>.Shared.Return(rented);
    }

    private sealed class CpuResidentOffsetRhs(ulong[] open, ulong[] mask, bool addOpen, ulong[] factor, int k, int n)
        : ResidentOffsetRhs(open, mask, addOpen, k, n)
    {
        public ulong[] Factor { get; } = factor;
    }

    public void MatMulAccumulate2(ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y1, ReadOnlySpan<ulong> x2, ReadOnlySpan<ulong> y2, Span<ulong> acc,
        int batch, int m, int k, int n, bool bShared)
    {
        int outLen = batch * m * n;
        var rented = ArrayPool<ulong>.Shared.Rent(outLen);
        var prod = rented.AsSpan(0, outLen);
        var z = acc[..outLen];
        RingMatMul.MultiplyBatched(x1, y1, prod, batch, m, k, n, bShared);
        RingOps.Add(z, prod, z);
        RingMatMul.MultiplyBatched(x2, y2, prod, batch, m, k, n, bShared);
        RingOps.Add(z, prod, z);
        ArrayPool<ulong>.Shared.Return(rented);
    }

    public void MatMul(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int batch, int m, int k, int n, bool bShared) =>
        RingMatMul.MultiplyBatched(a, b, c, batch, m, k, n, bShared);

    public void AccumulateBilinear(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> e, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, bool addDe)
    {
        RingOps.MulAdd(d, b, c, c);
        RingOps.MulAdd(e, a, c, c);
        if (addDe) RingOps.MulAdd(d, e, c, c);
    }

    /// <summary>The process-wide singleton holds nothing to release.</summary>
    public void Dispose() { }

    private static ulong[] H(IRingBuffer buffer) =>
        (buffer as CpuRingBuffer ?? throw new ArgumentException("the buffer belongs to another backend")).Data;

    private sealed class CpuRingBuffer(ulong[] data) : IRingBuffer
    {
        public ulong[] Data { get; } = data;
        public long Length => Data.Length;
        public void Dispose() { }
    }
}
