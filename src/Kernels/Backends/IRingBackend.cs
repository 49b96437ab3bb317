namespace PrivateInference.Kernels.Backends;

/// <summary>
/// Dense linear algebra over Z_2^64 (wrap-around ulong arithmetic is the ring) on host spans: each operation is one
/// fused local step that uploads its inputs once, runs every kernel of the step on the backend and downloads the
/// result once. The operations are named for the algebra they compute, not for a protocol: the callers (the
/// schemes in the Protocols layer) decide what the terms mean. Elementwise destinations may alias an input.
/// Implementations are safe to call from several threads (parties run as threads in-process).
/// </summary>
public interface IRingBackend : IDisposable
{
    /// <summary>Short device kind: <c>cpu</c>, <c>cuda</c>, or <c>ilgpu-cpu</c> (ILGPU's CPU accelerator, used by tests).</summary>
    string Name { get; }

    /// <summary>What the run report prints: the kind and the concrete device.</summary>
    string Description { get; }

    /// <summary>The cross terms of (x0 + x1)(y0 + y1) without x1 y1, in place: alphaToZ = x0 y0 + x0 y1 + x1 y0 + alphaToZ.</summary>
    void MulCrossTerms(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ);

    /// <summary>The same cross terms on packed bits (AND for product, XOR for sum), in place: alphaToZ = x0 y0 ^ x0 y1 ^ x1 y0 ^ alphaToZ.</summary>
    void AndCrossTerms(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ);

    /// <summary>The cross terms of the matrix product (A0 + A1)(B0 + B1) without A1 B1, in place: alphaToZ = A0 (B0 + B1) + A1 B0 + alphaToZ.</summary>
    void MatMulCrossTerms(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ReadOnlySpan<ulong> b0, ReadOnlySpan<ulong> b1, Span<ulong> alphaToZ,
        int batch, int m, int k, int n, bool bShared);

    /// <summary>Keeps a right-hand matrix split in two components (B0, B1) for repeated cross-term products; they must not change afterwards.</summary>
    ResidentSplitRhs PrepareSplitRhs(ulong[] b0, ulong[] b1, int k, int n);

    /// <summary>Cross-term product with a kept split matrix, in place: alphaToZ = A0 (B0 + B1) + A1 B0 + alphaToZ, A being rows x K.</summary>
    void MatMulCrossTerms(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ResidentSplitRhs rhs, Span<ulong> alphaToZ, int rows);

    /// <summary>Keeps a right-hand matrix given as a public offset E and a component B (the factor E + B, or B alone
    /// when <paramref name="addOpen"/> is false) for repeated products; neither may change afterwards.</summary>
    ResidentOffsetRhs PrepareOffsetRhs(ulong[] open, ulong[] mask, bool addOpen, int k, int n);

    /// <summary>Product with a kept offset matrix, in place: acc += D (E + B or B) + A E, D and A being rows x K.</summary>
    void MatMulOffset(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> a, ResidentOffsetRhs rhs, Span<ulong> acc, int rows);

    /// <summary>Two matrix products summed, in place: acc += X1 Y1 + X2 Y2.</summary>
    void MatMulAccumulate2(ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y1, ReadOnlySpan<ulong> x2, ReadOnlySpan<ulong> y2, Span<ulong> acc,
        int batch, int m, int k, int n, bool bShared);

    /// <summary>Plain product C = A B.</summary>
    void MatMul(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int batch, int m, int k, int n, bool bShared);

    /// <summary>Elementwise bilinear terms, in place: c += d b + e a (+ d e when <paramref name="addDe"/>).</summary>
    void AccumulateBilinear(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> e, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, bool addDe);
}
