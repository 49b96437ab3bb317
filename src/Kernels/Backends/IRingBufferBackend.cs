namespace PrivateInference.Kernels.Backends;

/// <summary>
/// Operations on the backend's own memory, chained without host transfers: what the kernel benchmark
/// (<see cref="Benchmarks.RingBackendBenchmark"/>) and the backend tests measure and check, kernel by kernel. The
/// protocols use <see cref="IRingBackend"/>'s fused steps only. Buffers passed to a backend must come from it.
/// </summary>
public interface IRingBufferBackend : IRingBackend
{
    IRingBuffer Allocate(long length);
    IRingBuffer Upload(ReadOnlySpan<ulong> data);
    /// <summary>Copies the first <c>dst.Length</c> elements of <paramref name="src"/> to the host; waits for pending work.</summary>
    void Download(IRingBuffer src, Span<ulong> dst);

    void Add(IRingBuffer a, IRingBuffer b, IRingBuffer dst);
    void Sub(IRingBuffer a, IRingBuffer b, IRingBuffer dst);
    void Mul(IRingBuffer a, IRingBuffer b, IRingBuffer dst);
    void Scale(IRingBuffer a, ulong c, IRingBuffer dst);
    /// <summary>Sign-extending shift (the ring value read as two's complement): the local step of truncation.</summary>
    void ShiftRightArithmetic(IRingBuffer a, int bits, IRingBuffer dst);
    /// <summary>Packed-bit AND (64 bit-lanes per word).</summary>
    void And(IRingBuffer a, IRingBuffer b, IRingBuffer dst);
    void Xor(IRingBuffer a, IRingBuffer b, IRingBuffer dst);

    /// <summary>Cross terms: dst = x0 y0 + x0 y1 + x1 y0 + alpha.</summary>
    void MulCrossTerms(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst);

    /// <summary>Cross terms on packed bits: dst = x0 y0 ^ x0 y1 ^ x1 y0 ^ alpha.</summary>
    void AndCrossTerms(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst);

    /// <summary>
    /// Row-major C_b = A_b B_b (B shared by the whole batch when <paramref name="bShared"/>); C is overwritten, or
    /// added to when <paramref name="accumulate"/>. C must not alias A or B.
    /// </summary>
    void MatMul(IRingBuffer a, IRingBuffer b, IRingBuffer c, int batch, int m, int k, int n, bool bShared, bool accumulate);
}
