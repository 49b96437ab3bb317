using System.Numerics.Tensors;

namespace PrivateInference.Kernels.Ring;

/// <summary>
/// Dense matrix product over Z_2^64, row-major. Each output row is accumulated as a sum of scaled rows of B
/// (TensorPrimitives.MultiplyAdd, AVX-512 vpmullq), which streams B contiguously instead of striding down its
/// columns; the naive i-j-p loop is ~18x slower here. Big products are split over threads by rows, or by
/// column blocks when there are too few rows to keep the cores busy (the 1 x k x n decode case).
/// </summary>
public static class RingMatMul
{
    /// <summary>Work (m*k*n multiply-adds) below which threading costs more than it saves.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <summary>C[m,n] = A[m,k] * B[k,n]; C is overwritten.</summary>
    public static void Multiply(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int m, int k, int n)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException("matrix spans are smaller than the shape");
        long work = (long)m * k * n;
        if (work < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            Block(a, b, c, m, k, n, 0, m, 0, n);
            return;
        }
        unsafe
        {
            fixed (ulong* pa = a, pb = b, pc = c)
            {
                var (ua, ub, uc) = ((nint)pa, (nint)pb, (nint)pc);
                int threads = Environment.ProcessorCount;
                if (m >= threads)
                {
                    int chunk = (m + threads * 4 - 1) / (threads * 4);
                    int parts = (m + chunk - 1) / chunk;
                    Parallel.For(0, parts, p =>
                    {
                        int r0 = p * chunk, r1 = Math.Min(m, r0 + chunk);
                        Block(new ReadOnlySpan<ulong>((ulong*)ua, m * k), new ReadOnlySpan<ulong>((ulong*)ub, k * n),
                            new Span<ulong>((ulong*)uc, m * n), m, k, n, r0, r1, 0, n);
                    });
                }
                else
                {
                    int colChunk = Math.Max(64, (n + threads - 1) / threads);
                    colChunk = (colChunk + 7) & ~7;
                    int parts = (n + colChunk - 1) / colChunk;
                    Parallel.For(0, parts, p =>
                    {
                        int c0 = p * colChunk, c1 = Math.Min(n, c0 + colChunk);
                        Block(new ReadOnlySpan<ulong>((ulong*)ua, m * k), new ReadOnlySpan<ulong>((ulong*)ub, k * n),
                            new Span<ulong>((ulong*)uc, m * n), m, k, n, 0, m, c0, c1);
                    });
                }
            }
        }
    }

    /// <summary>Batched product: for each b in [0, batch), C_b = A_b * (B_b or the shared B when bShared).</summary>
    public static void MultiplyBatched(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int batch, int m, int k, int n, bool bShared)
    {
        int sa = m * k, sb = bShared ? 0 : k * n, sc = m * n;
        if (bShared && batch > 1)
        {
            // One tall product reuses B across the whole batch (A_b stacked by rows).
            Multiply(a[..(batch * sa)], b[..(k * n)], c[..(batch * sc)], batch * m, k, n);
            return;
        }
        for (int i = 0; i < batch; i++)
            Multiply(a.Slice(i * sa, sa), b.Slice(i * sb, k * n), c.Slice(i * sc, sc), m, k, n);
    }

    /// <summary>Textbook triple loop; the reference the fast path is tested against.</summary>
    public static void MultiplyNaive(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int m, int k, int n)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                ulong s = 0;
                for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
                c[i * n + j] = s;
            }
    }

    private static void Block(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> c, int m, int k, int n, int r0, int r1, int c0, int c1)
    {
        int w = c1 - c0;
        for (int i = r0; i < r1; i++)
        {
            var crow = c.Slice(i * n + c0, w);
            crow.Clear();
            var arow = a.Slice(i * k, k);
            for (int p = 0; p < k; p++)
            {
                ulong s = arow[p];
                if (s == 0) continue;
                TensorPrimitives.MultiplyAdd(b.Slice(p * n + c0, w), s, crow, crow);
            }
        }
    }

    /// <summary>Transpose of the last two axes of a batch of [rows, cols] matrices.</summary>
    public static void Transpose(ReadOnlySpan<ulong> src, Span<ulong> dst, int batch, int rows, int cols)
    {
        int s = rows * cols;
        for (int b = 0; b < batch; b++)
        {
            var x = src.Slice(b * s, s);
            var y = dst.Slice(b * s, s);
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    y[j * rows + i] = x[i * cols + j];
        }
    }
}
