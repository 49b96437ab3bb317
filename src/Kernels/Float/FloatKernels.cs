using System.Numerics.Tensors;

namespace PrivateInference.Kernels.Float;

/// <summary>Dense float32 kernels for the plaintext engine: SIMD via TensorPrimitives, threads over output rows.</summary>
public static class FloatKernels
{
    // Below this many multiply-adds the thread hand-off costs more than it saves.
    private const long ParallelThreshold = 1 << 16;

    /// <summary>y = W·x with W row-major [rows][cols] (llama2.c's [out][in] layout).</summary>
    public static void MatVec(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y)
    {
        int rows = y.Length, cols = x.Length;
        if (w.Length != (long)rows * cols)
            throw new ArgumentException($"matrix has {w.Length} elements, expected {rows}x{cols}");
        int threads = CpuParallelism.MaxThreads;
        if (threads <= 1 || (long)rows * cols < ParallelThreshold)
        {
            for (int i = 0; i < rows; i++)
                y[i] = TensorPrimitives.Dot(w.Slice(i * cols, cols), x);
            return;
        }
        unsafe
        {
            fixed (float* pw = w, px = x, py = y)
            {
                float* cw = pw, cx = px, cy = py;
                int blocks = Math.Min(threads * 4, rows);
                Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
                {
                    int start = (int)((long)rows * b / blocks), end = (int)((long)rows * (b + 1) / blocks);
                    var xs = new ReadOnlySpan<float>(cx, cols);
                    for (int i = start; i < end; i++)
                        cy[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(cw + (long)i * cols, cols), xs);
                });
            }
        }
    }

    /// <summary>o = weight ⊙ x / sqrt(mean(x²) + eps).</summary>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> o, float eps)
    {
        float ss = TensorPrimitives.SumOfSquares(x) / x.Length + eps;
        float scale = 1f / MathF.Sqrt(ss);
        TensorPrimitives.Multiply(x, scale, o);
        TensorPrimitives.Multiply(o, weight, o);
    }

    /// <summary>In-place numerically stable softmax.</summary>
    public static void Softmax(Span<float> x)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum = TensorPrimitives.Sum(x);
        TensorPrimitives.Divide(x, sum, x);
    }

    /// <summary>In-place SwiGLU gate: h1 = silu(h1) ⊙ h3.</summary>
    public static void SwiGlu(Span<float> h1, ReadOnlySpan<float> h3)
    {
        for (int i = 0; i < h1.Length; i++)
        {
            float v = h1[i];
            h1[i] = v / (1f + MathF.Exp(-v)) * h3[i];
        }
    }
}
