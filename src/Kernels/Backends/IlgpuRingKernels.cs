using ILGPU;

namespace PrivateInference.Kernels.Backends;

/// <summary>Shape and strides of one batched product, passed to the matmul kernels as one argument.</summary>
public struct MatMulShape
{
    public int M, K, N;
    /// <summary>Elements between consecutive batch items of A, B (0 when B is shared) and C.</summary>
    public long StrideA, StrideB, StrideC;
    /// <summary>1: C += A B; 0: C = A B.</summary>
    public int Accumulate;
}

/// <summary>
/// The ILGPU kernel bodies (compiled to PTX by ILGPU's CUDA backend, or run by its CPU accelerator in tests).
/// Unchecked ulong arithmetic is the ring Z_2^64, as on the CPU, so results are bit-identical.
/// </summary>
internal static class IlgpuRingKernels
{
    /// <summary>Output tile edge of the shared-memory matmul; a 16 x 16 thread group computes 4 x 4 outputs per thread.</summary>
    public const int Tile = 64;
    /// <summary>Depth of the A and B tiles staged in shared memory per step (2 x 64 x 16 ulongs = 16 KiB).</summary>
    public const int TileK = 16;
    public const int GroupEdge = 16;
    private const int GroupSize = GroupEdge * GroupEdge;

    public static void Add(Index1D i, ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> dst) => dst[i] = a[i] + b[i];
    public static void Sub(Index1D i, ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> dst) => dst[i] = a[i] - b[i];
    public static void Mul(Index1D i, ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> dst) => dst[i] = a[i] * b[i];
    public static void And(Index1D i, ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> dst) => dst[i] = a[i] & b[i];
    public static void Xor(Index1D i, ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> dst) => dst[i] = a[i] ^ b[i];
    public static void Scale(Index1D i, ArrayView<ulong> a, ulong c, ArrayView<ulong> dst) => dst[i] = a[i] * c;
    public static void ShiftRightArithmetic(Index1D i, ArrayView<ulong> a, int bits, ArrayView<ulong> dst) => dst[i] = (ulong)((long)a[i] >> bits);

    public static void MulCrossTerms(Index1D i, ArrayView<ulong> x0, ArrayView<ulong> x1, ArrayView<ulong> y0, ArrayView<ulong> y1,
        ArrayView<ulong> alpha, ArrayView<ulong> dst)
    {
        ulong b0 = y0[i];
        dst[i] = x0[i] * (b0 + y1[i]) + x1[i] * b0 + alpha[i];
    }

    public static void AndCrossTerms(Index1D i, ArrayView<ulong> x0, ArrayView<ulong> x1, ArrayView<ulong> y0, ArrayView<ulong> y1,
        ArrayView<ulong> alpha, ArrayView<ulong> dst)
    {
        ulong b0 = y0[i];
        dst[i] = (x0[i] & (b0 ^ y1[i])) ^ (x1[i] & b0) ^ alpha[i];
    }

    /// <summary>c += d b + e a (+ d e): elementwise bilinear terms.</summary>
    public static void AccumulateBilinear(Index1D i, ArrayView<ulong> d, ArrayView<ulong> e, ArrayView<ulong> a, ArrayView<ulong> b,
        ArrayView<ulong> c, int addDe)
    {
        ulong dv = d[i], ev = e[i];
        ulong v = c[i] + dv * b[i] + ev * a[i];
        if (addDe != 0) v += dv * ev;
        c[i] = v;
    }

    /// <summary>
    /// Few-row product (the decode step's 1 x k x n): one thread per output, threads of a warp walk adjacent
    /// columns so every read of B is coalesced, and the A element is a broadcast. A 64-row tile would idle 63/64.
    /// </summary>
    public static void MatMulRows(Index1D index, ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> c, MatMulShape s)
    {
        long mn = (long)s.M * s.N;
        long batch = index / mn;
        long rest = index - batch * mn;
        long i = rest / s.N, j = rest - i * s.N;
        long ao = batch * s.StrideA + i * s.K, bo = batch * s.StrideB + j;
        ulong sum = 0;
        for (int p = 0; p < s.K; p++) sum += a[ao + p] * b[bo + (long)p * s.N];
        long co = batch * s.StrideC + i * s.N + j;
        c[co] = s.Accumulate != 0 ? c[co] + sum : sum;
    }

    /// <summary>
    /// Tiled product: each 16 x 16 group owns a 64 x 64 tile of C (grid z = batch item), stages 64 x 16 of A and
    /// 16 x 64 of B in shared memory per step, and each thread keeps 4 x 4 accumulators in registers (rows ty + 16r,
    /// columns tx + 16c, so the final stores of a warp are coalesced). Edges are zero-padded in shared memory.
    /// </summary>
    public static void MatMulTiled(ArrayView<ulong> a, ArrayView<ulong> b, ArrayView<ulong> c, MatMulShape s)
    {
        var sa = SharedMemory.Allocate<ulong>(Tile * TileK);
        var sb = SharedMemory.Allocate<ulong>(TileK * Tile);
        int tx = Group.IdxX, ty = Group.IdxY;
        int t = ty * GroupEdge + tx;
        int row0 = Grid.IdxY * Tile, col0 = Grid.IdxX * Tile;
        long ao = Grid.IdxZ * s.StrideA, bo = Grid.IdxZ * s.StrideB, co = Grid.IdxZ * s.StrideC;
        int m = s.M, k = s.K, n = s.N;

        ulong c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        ulong c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;

        for (int k0 = 0; k0 < k; k0 += TileK)
        {
            for (int q = 0; q < Tile * TileK / GroupSize; q++)
            {
                int e = t + q * GroupSize;
                int r = e / TileK, p = e - r * TileK;
                int gr = row0 + r, gp = k0 + p;
                sa[e] = gr < m && gp < k ? a[ao + (long)gr * k + gp] : 0UL;
                int br = e / Tile, bc = e - br * Tile;
                int gbr = k0 + br, gbc = col0 + bc;
                sb[e] = gbr < k && gbc < n ? b[bo + (long)gbr * n + gbc] : 0UL;
            }
            Group.Barrier();
            for (int p = 0; p < TileK; p++)
            {
                ulong a0 = sa[ty * TileK + p], a1 = sa[(ty + 16) * TileK + p], a2 = sa[(ty + 32) * TileK + p], a3 = sa[(ty + 48) * TileK + p];
                ulong b0 = sb[p * Tile + tx], b1 = sb[p * Tile + tx + 16], b2 = sb[p * Tile + tx + 32], b3 = sb[p * Tile + tx + 48];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }

        Store(c, co, s, row0 + ty, col0 + tx, c00, c01, c02, c03);
        Store(c, co, s, row0 + ty + 16, col0 + tx, c10, c11, c12, c13);
        Store(c, co, s, row0 + ty + 32, col0 + tx, c20, c21, c22, c23);
        Store(c, co, s, row0 + ty + 48, col0 + tx, c30, c31, c32, c33);
    }

    private static void Store(ArrayView<ulong> c, long co, MatMulShape s, int row, int col, ulong v0, ulong v1, ulong v2, ulong v3)
    {
        if (row >= s.M) return;
        long o = co + (long)row * s.N;
        Put(c, o, s, col, v0);
        Put(c, o, s, col + 16, v1);
        Put(c, o, s, col + 32, v2);
        Put(c, o, s, col + 48, v3);
    }

    private static void Put(ArrayView<ulong> c, long rowOffset, MatMulShape s, int col, ulong v)
    {
        if (col >= s.N) return;
        long o = rowOffset + col;
        c[o] = s.Accumulate != 0 ? c[o] + v : v;
    }
}
