namespace PrivateInference.Kernels.Backends;

/// <summary>
/// The dense local work of the sharing protocols over Z_2^64 (wrap-around ulong arithmetic is the ring). Two
/// levels: buffer operations that chain on the backend's own memory, and fused host-span operations, one per
/// protocol-local step, which upload their inputs once, run every kernel of the step on the backend and
/// download the result once. Buffers passed to a backend must come from that backend. Elementwise destinations
/// may alias an input. Implementations are safe to call from several threads (parties run as threads in-process).
/// </summary>
public interface IRingBackend : IDisposable
{
    /// <summary>Short device kind: <c>cpu</c>, <c>cuda</c>, or <c>ilgpu-cpu</c> (ILGPU's CPU accelerator, used by tests).</summary>
    string Name { get; }

    /// <summary>What the run report prints: the kind and the concrete device.</summary>
    string Description { get; }

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
    /// <summary>Packed-bit AND of the boolean circuits (64 bit-lanes per word).</summary>
    void And(IRingBuffer a, IRingBuffer b, IRingBuffer dst);
    void Xor(IRingBuffer a, IRingBuffer b, IRingBuffer dst);

    /// <summary>3pc multiplication, local part: dst = x0 y0 + x0 y1 + x1 y0 + alpha (alpha: this party's zero share).</summary>
    void MulShares3pc(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst);

    /// <summary>3pc AND on packed bits, local part: dst = x0 y0 ^ x0 y1 ^ x1 y0 ^ alpha.</summary>
    void AndShares3pc(IRingBuffer x0, IRingBuffer x1, IRingBuffer y0, IRingBuffer y1, IRingBuffer alpha, IRingBuffer dst);

    /// <summary>
    /// Row-major C_b = A_b B_b (B shared by the whole batch when <paramref name="bShared"/>); C is overwritten, or
    /// added to when <paramref name="accumulate"/>. C must not alias A or B.
    /// </summary>
    void MatMul(IRingBuffer a, IRingBuffer b, IRingBuffer c, int batch, int m, int k, int n, bool bShared, bool accumulate);

    // Fused protocol-local steps on host spans.

    /// <summary>In place: alphaToZ = x0 y0 + x0 y1 + x1 y0 + alphaToZ.</summary>
    void MulShares3pc(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ);

    /// <summary>In place: alphaToZ = x0 y0 ^ x0 y1 ^ x1 y0 ^ alphaToZ.</summary>
    void AndShares3pc(ReadOnlySpan<ulong> x0, ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y0, ReadOnlySpan<ulong> y1, Span<ulong> alphaToZ);

    /// <summary>3pc matrix product, local part, in place: alphaToZ = A0 (B0 + B1) + A1 B0 + alphaToZ.</summary>
    void MatMulShares3pc(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ReadOnlySpan<ulong> b0, ReadOnlySpan<ulong> b1, Span<ulong> alphaToZ,
        int batch, int m, int k, int n, bool bShared);

    /// <summary>Keeps a weight's components (B0, B1) for repeated 3pc products; they must not change afterwards.</summary>
    ResidentRhs3pc PrepareRhs3pc(ulong[] b0, ulong[] b1, int k, int n);

    /// <summary>3pc product with a prepared weight, in place: alphaToZ = A0 (B0 + B1) + A1 B0 + alphaToZ, A being rows x K.</summary>
    void MatMulShares3pc(ReadOnlySpan<ulong> a0, ReadOnlySpan<ulong> a1, ResidentRhs3pc rhs, Span<ulong> alphaToZ, int rows);

    /// <summary>Keeps a 2pc prepared weight (opened E, mask share B_i) for repeated products; neither may change afterwards.</summary>
    ResidentBeaverRhs PrepareBeaverRhs(ulong[] open, ulong[] mask, bool addOpen, int k, int n);

    /// <summary>Beaver product with a prepared weight, in place: acc += D (E + B_0 | B_1) + A E, D and A being rows x K.</summary>
    void MatMulBeaver(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> a, ResidentBeaverRhs rhs, Span<ulong> acc, int rows);

    /// <summary>Beaver matrix product, local part, in place: acc += X1 Y1 + X2 Y2.</summary>
    void MatMulAccumulate2(ReadOnlySpan<ulong> x1, ReadOnlySpan<ulong> y1, ReadOnlySpan<ulong> x2, ReadOnlySpan<ulong> y2, Span<ulong> acc,
        int batch, int m, int k, int n, bool bShared);

    /// <summary>Plain product C = A B (the dealer's triple).</summary>
    void MatMul(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int batch, int m, int k, int n, bool bShared);

    /// <summary>Beaver elementwise product, local part, in place: c += d b + e a (+ d e when <paramref name="addDe"/>).</summary>
    void BeaverMulLocal(ReadOnlySpan<ulong> d, ReadOnlySpan<ulong> e, ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, bool addDe);
}
