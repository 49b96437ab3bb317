using System.Diagnostics;
using System.Runtime.InteropServices;
using PrivateInference.Kernels.Backends;

namespace PrivateInference.Kernels.Benchmarks;

/// <summary>One timed operation of <see cref="RingBackendBenchmark"/>; <paramref name="Rate"/> is per second, in <paramref name="RateUnit"/>.</summary>
/// <param name="Identical">Whether the backend's result equals the CPU backend's bit for bit; null when the backend is the CPU one.</param>
public sealed record RingBenchRow(string Device, string Op, string Size, double MedianMs, double Rate, string RateUnit, bool? Identical);

/// <summary>
/// Times a backend on device-resident buffers (operands uploaded once; each repetition ends with a one-element
/// download, which waits for the device) and checks every result against the CPU backend. Rates: ring
/// multiply-adds per second for products, elements per second for elementwise operations.
/// </summary>
public static class RingBackendBenchmark
{
    public static RingBenchRow MatMul(IRingBufferBackend backend, int m, int k, int n, int repeats)
    {
        var rng = new System.Random(m * 31 + k * 7 + n);
        var a = RandomVector(rng, (long)m * k);
        var b = RandomVector(rng, (long)k * n);
        using var da = backend.Upload(a);
        using var db = backend.Upload(b);
        using var dc = backend.Allocate((long)m * n);
        double ms = Time(backend, dc, repeats, () => backend.MatMul(da, db, dc, 1, m, k, n, bShared: false, accumulate: false));
        bool? identical = null;
        if (backend is not CpuRingBackend)
        {
            var got = new ulong[(long)m * n];
            backend.Download(dc, got);
            var expected = new ulong[got.Length];
            CpuRingBackend.Instance.MatMul(a, b, expected, 1, m, k, n, bShared: false);
            identical = got.AsSpan().SequenceEqual(expected);
        }
        double macs = (double)m * k * n;
        return new RingBenchRow(backend.Name, "matmul", $"{m}x{k}x{n}", ms, macs / (ms / 1000), "ulong mul-add/s", identical);
    }

    /// <summary>
    /// The decode step's weight product as the 3pc scheme runs it: a cross-term product with a kept (session-resident)
    /// split matrix, from host activations to host result, transfers included; checked against the CPU backend.
    /// </summary>
    public static RingBenchRow PreparedSplitProduct(IRingBackend backend, int rows, int k, int n, int repeats)
    {
        var rng = new System.Random(rows * 131 + k * 17 + n);
        var (a0, a1) = (RandomVector(rng, (long)rows * k), RandomVector(rng, (long)rows * k));
        var (b0, b1) = (RandomVector(rng, (long)k * n), RandomVector(rng, (long)k * n));
        var alpha = RandomVector(rng, (long)rows * n);
        var weight = backend.PrepareSplitRhs(b0, b1, k, n);
        var z = new ulong[alpha.Length];
        void Run()
        {
            alpha.CopyTo(z, 0);
            backend.MatMulCrossTerms(a0, a1, weight, z, rows);
        }
        Run();
        var times = new double[Math.Max(1, repeats)];
        for (int r = 0; r < times.Length; r++)
        {
            var clock = Stopwatch.StartNew();
            Run();
            times[r] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        double ms = times[times.Length / 2];
        bool? identical = null;
        if (backend is not CpuRingBackend)
        {
            var expected = (ulong[])alpha.Clone();
            CpuRingBackend.Instance.MatMulCrossTerms(a0, a1, CpuRingBackend.Instance.PrepareSplitRhs(b0, b1, k, n), expected, rows);
            identical = z.AsSpan().SequenceEqual(expected);
        }
        return new RingBenchRow(backend.Name, "cross-term product, kept split matrix, host in/out", $"{rows}x{k}x{n}", ms, 2.0 * rows * k * n / (ms / 1000), "ulong mul-add/s", identical);
    }

    /// <summary>add, mul, shift (truncation), AND, XOR and the cross-term product on <paramref name="count"/> elements each.</summary>
    public static IEnumerable<RingBenchRow> Elementwise(IRingBufferBackend backend, long count, int repeats)
    {
        var rng = new System.Random(5);
        var host = Enumerable.Range(0, 5).Select(_ => RandomVector(rng, count)).ToArray();
        var buffers = host.Select(h => backend.Upload(h)).ToArray();
        using var dst = backend.Allocate(count);
        try
        {
            var ops = new (string Name, Action<IRingBufferBackend, IRingBuffer[], IRingBuffer> Run)[]
            {
                ("add", (be, v, d) => be.Add(v[0], v[1], d)),
                ("mul", (be, v, d) => be.Mul(v[0], v[1], d)),
                ("shift-right-arithmetic 16", (be, v, d) => be.ShiftRightArithmetic(v[0], 16, d)),
                ("and", (be, v, d) => be.And(v[0], v[1], d)),
                ("xor", (be, v, d) => be.Xor(v[0], v[1], d)),
                ("cross-term product", (be, v, d) => be.MulCrossTerms(v[0], v[1], v[2], v[3], v[4], d)),
            };
            foreach (var (name, run) in ops)
            {
                double ms = Time(backend, dst, repeats, () => run(backend, buffers, dst));
                bool? identical = null;
                if (backend is not CpuRingBackend)
                {
                    var got = new ulong[count];
                    backend.Download(dst, got);
                    var cpu = CpuRingBackend.Instance;
                    var cpuBuffers = host.Select(h => cpu.Upload(h)).ToArray();
                    using var expected = cpu.Allocate(count);
                    run(cpu, cpuBuffers, expected);
                    var want = new ulong[count];
                    cpu.Download(expected, want);
                    identical = got.AsSpan().SequenceEqual(want);
                }
                yield return new RingBenchRow(backend.Name, name, Count(count), ms, count / (ms / 1000), "elements/s", identical);
            }
        }
        finally
        {
            foreach (var buffer in buffers) buffer.Dispose();
        }
    }

    private static double Time(IRingBufferBackend backend, IRingBuffer result, int repeats, Action op)
    {
        Span<ulong> one = stackalloc ulong[1];
        op();
        backend.Download(result, one);
        var times = new double[Math.Max(1, repeats)];
        for (int r = 0; r < times.Length; r++)
        {
            var clock = Stopwatch.StartNew();
            op();
            backend.Download(result, one);
            times[r] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }

    private static ulong[] RandomVector(System.Random rng, long length)
    {
        var v = new ulong[length];
        rng.NextBytes(MemoryMarshal.AsBytes(v.AsSpan()));
        return v;
    }

    private static string Count(long n) => n >= 1 << 20 && n % (1 << 20) == 0 ? $"{n >> 20}M" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
