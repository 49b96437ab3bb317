using System.Diagnostics;
using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Benchmarks;

/// <summary>One benchmark case: an op and its shape (as the issue names them).</summary>
public sealed record BenchCase(string Op, string Size)
{
    public override string ToString() => $"{Op} {Size}";
}

/// <summary>What one party measured: wall time and its own traffic per repetition.</summary>
public sealed record PartyMeasurement(int PartyId, double[] LatenciesMs, CommStats[] PerRepetition);

/// <summary>A row of `pi bench ops`. Bytes and rounds are per repetition; bytes_sent_per_party is the busiest online party.</summary>
public sealed record OpsBenchmarkResult
{
    public required string Scheme { get; init; }
    public required string Op { get; init; }
    public required string Size { get; init; }
    public required long Elements { get; init; }
    public required int Repetitions { get; init; }
    public required double MedianMs { get; init; }
    public required double P90Ms { get; init; }
    public required long BytesSentPerParty { get; init; }
    public required double BytesPerElement { get; init; }
    public required long Rounds { get; init; }
    /// <summary>Bytes sent by P0, P1, P2 (in 2pc P2 is the dealer: its one-way correlated randomness).</summary>
    public required long[] BytesSentByParty { get; init; }
    /// <summary>Median over repetitions of the slowest party's latency minus its time blocked in Receive.</summary>
    public required double ComputeMs { get; init; }
    /// <summary>Matmul only: one party's local kernel work for the product, timed alone (no other party competing for the cores).</summary>
    public double? PartyKernelMs { get; init; }
    /// <summary>Matmul only: the same product in plaintext over Z_2^64 with the same kernel.</summary>
    public double? PlaintextMs { get; init; }
}

/// <summary>
/// The ops benchmark behind `pi bench ops`. <see cref="RunParty"/> is the per-party program (SPMD: every party of
/// a session calls it with the same case), so it runs unchanged over the in-process hub or real party processes;
/// <see cref="RunInProcess"/> drives all parties as threads; <see cref="Combine"/> merges the parties' measurements.
/// Inputs are shared by P0 before timing starts; one untimed warm-up run; every repetition starts after a one-byte barrier.
/// </summary>
public static class OpsBenchmark
{
    /// <summary>The cases the issue asks for ("1M" is 2^20 elements).</summary>
    public static readonly BenchCase[] IssueCases =
    [
        new("mul", "1M"), new("matmul", "1x768x768"), new("matmul", "64x768x768"), new("compare", "1M"),
        new("softmax", "12x1024"), new("exp", "1M"), new("reciprocal", "1M"), new("rsqrt", "1M"),
        new("topk", "k=8 of 64"), new("topk", "k=64 of 512"),
    ];

    public static readonly string[] Ops = ["mul", "matmul", "compare", "relu", "softmax", "exp", "reciprocal", "rsqrt", "sigmoid", "silu", "topk"];

    private static int ParseCount(string size) => size.EndsWith('M')
        ? (int)(double.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * (1 << 20))
        : size.EndsWith('K') ? (int)(double.Parse(size[..^1], System.Globalization.CultureInfo.InvariantCulture) * 1024) : int.Parse(size);

    private static int[] ParseDims(string size) => size.Split('x').Select(int.Parse).ToArray();

    private static (int K, int N) ParseTopK(string size)
    {
        var p = size.Replace("k=", "").Split(" of ");
        return (int.Parse(p[0]), int.Parse(p[1]));
    }

    public static long Elements(BenchCase c) => c.Op switch
    {
        "matmul" => (long)ParseDims(c.Size)[0] * ParseDims(c.Size)[2],
        "softmax" => ParseDims(c.Size).Aggregate(1L, (a, b) => a * b),
        "topk" => ParseTopK(c.Size).N,
        _ => ParseCount(c.Size),
    };

    /// <summary>Prepares inputs, then times <paramref name="repetitions"/> runs of the op on this party.</summary>
    public static PartyMeasurement RunParty(MpcContext ctx, BenchCase c, int repetitions)
    {
        var rng = new Random(12345);
        double[] Rand(int n, double lo, double hi) => ctx.PartyId == PartyIds.P0 ? Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray() : [];
        SecretTensor In(int[] shape, double lo, double hi) => ctx.Input(PartyIds.P0, shape, Rand(shape.Aggregate(1, (a, b) => a * b), lo, hi));

        Action op;
        switch (c.Op)
        {
            case "matmul":
            {
                var d = ParseDims(c.Size);
                var x = In([d[0], d[1]], -1, 1);
                var w = ctx.PrepareWeight(In([d[1], d[2]], -0.05, 0.05));
                op = () => ctx.MatMul(x, w);
                break;
            }
            case "softmax":
            {
                var x = In(ParseDims(c.Size), -8, 8);
                op = () => ctx.Softmax(x);
                break;
            }
            case "topk":
            {
                var (k, n) = ParseTopK(c.Size);
                var x = In([1, n], -10, 10);
                op = () => ctx.TopK(x, k);
                break;
            }
            default:
            {
                int n = ParseCount(c.Size);
                op = c.Op switch
                {
                    "mul" => Bind(In([n], -4, 4), In([n], -4, 4), (a, b) => ctx.Mul(a, b)),
                    "compare" => Bind(In([n], -100, 100), x => ctx.LessThanZero(x)),
                    "relu" => Bind(In([n], -100, 100), x => ctx.Relu(x)),
                    "exp" => Bind(In([n], -16, 0), x => ctx.Exp(x)),
                    "reciprocal" => Bind(In([n], 1, 4096), x => ctx.Reciprocal(x, 0, 12)),
                    "rsqrt" => Bind(In([n], 1e-3, 1e4), x => ctx.Rsqrt(x)),
                    "sigmoid" => Bind(In([n], -16, 16), x => ctx.Sigmoid(x)),
                    "silu" => Bind(In([n], -16, 16), x => ctx.Silu(x)),
                    _ => throw new ArgumentException($"unknown op '{c.Op}' (known: {string.Join(", ", Ops)})"),
                };
                break;
            }
        }

        // One untimed run first: JIT, thread-pool growth and first-touch page faults are not the op's cost.
        Barrier(ctx);
        op();
        var lat = new double[repetitions];
        var stats = new CommStats[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            Barrier(ctx);
            var before = ctx.Channel.Total;
            var sw = Stopwatch.StartNew();
            using (ctx.Scope($"bench:{c.Op}")) op();
            lat[r] = sw.Elapsed.TotalMilliseconds;
            stats[r] = ctx.Channel.Total - before;
        }
        return new PartyMeasurement(ctx.PartyId, lat, stats);
    }

    private static Action Bind(SecretTensor x, Func<SecretTensor, SecretTensor> f) => () => f(x);
    private static Action Bind(SecretTensor x, SecretTensor y, Func<SecretTensor, SecretTensor, SecretTensor> f) => () => f(x, y);

    /// <summary>Every compute party tells every other it is ready; nobody starts a repetition early.</summary>
    private static void Barrier(MpcContext ctx)
    {
        if (ctx.PartyId > 2) return;
        Span<byte> b = [1];
        foreach (var p in PartyIds.ComputeParties) if (p != ctx.PartyId) ctx.Channel.Transport.Send(p, b);
        foreach (var p in PartyIds.ComputeParties) if (p != ctx.PartyId) ctx.Channel.Transport.Receive(p, b);
    }

    /// <summary>All three compute parties as threads; <paramref name="transports"/> defaults to the in-process hub.</summary>
    public static OpsBenchmarkResult RunInProcess(SchemeKind scheme, BenchCase c, int repetitions, Func<ITransport, ITransport>? transports = null)
    {
        var parts = InProcessSession.Run(scheme, PartyIds.ComputeParties, ctx => RunParty(ctx, c, repetitions), wrap: transports);
        return Combine(scheme, c, parts);
    }

    public static OpsBenchmarkResult Combine(SchemeKind scheme, BenchCase c, IReadOnlyList<PartyMeasurement> parts)
    {
        int reps = parts[0].LatenciesMs.Length;
        // A repetition ends when its slowest party ends.
        var lat = Enumerable.Range(0, reps).Select(r => parts.Max(p => p.LatenciesMs[r])).OrderBy(v => v).ToArray();
        var online = parts.Where(p => scheme == SchemeKind.ThreePc || p.PartyId < 2).ToArray();
        var last = parts.OrderBy(p => p.PartyId).Select(p => p.PerRepetition[^1]).ToArray();
        long busiest = online.Max(p => p.PerRepetition[^1].BytesSent);
        long elements = Elements(c);
        double? plain = null, kernel = null;
        if (c.Op == "matmul")
        {
            var d = ParseDims(c.Size);
            plain = PlaintextMatMulMs(d[0], d[1], d[2], Math.Max(5, reps));
            kernel = PartyMatMulKernelMs(scheme, d[0], d[1], d[2], Math.Max(5, reps));
        }
        return new OpsBenchmarkResult
        {
            Scheme = scheme == SchemeKind.ThreePc ? "3pc" : "2pc",
            Op = c.Op,
            Size = c.Size,
            Elements = elements,
            Repetitions = reps,
            MedianMs = lat[reps / 2],
            ComputeMs = Enumerable.Range(0, reps).Select(r => parts.Max(p => p.LatenciesMs[r] - p.PerRepetition[r].ReceiveWaitMs)).OrderBy(v => v).ElementAt(reps / 2),
            P90Ms = lat[Math.Min(reps - 1, (int)Math.Ceiling(0.9 * reps) - 1)],
            BytesSentPerParty = busiest,
            BytesPerElement = (double)busiest / elements,
            Rounds = online.Max(p => p.PerRepetition[^1].Rounds),
            BytesSentByParty = last.Select(s => s.BytesSent).ToArray(),
            PlaintextMs = plain,
            PartyKernelMs = kernel,
        };
    }

    /// <summary>Median time of the plaintext ring product [m,k] x [k,n] with the same kernel the protocols use.</summary>
    public static double PlaintextMatMulMs(int m, int k, int n, int repetitions)
    {
        var rng = new Random(1);
        var a = Enumerable.Range(0, m * k).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var c = new ulong[m * n];
        RingMatMul.Multiply(a, b, c, m, k, n);
        var t = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            var sw = Stopwatch.StartNew();
            RingMatMul.Multiply(a, b, c, m, k, n);
            t[r] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(t);
        return t[repetitions / 2];
    }

    /// <summary>
    /// The local ring work one compute party does for an [m,k] x [k,n] product with a prepared weight, without
    /// the network: 3pc x_i (W_i + W_{i+1}) + x_{i+1} W_i + zero share; 2pc D (E + B_i) + A_i E + C_i. The
    /// weight-side sums are cached at preparation, so both are two matmuls and two vector additions.
    /// </summary>
    public static double PartyMatMulKernelMs(SchemeKind scheme, int m, int k, int n, int repetitions)
    {
        var rng = new Random(2);
        ulong[] R(int c) => Enumerable.Range(0, c).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var (a0, a1, b0, b1, z) = (R(m * k), R(m * k), R(k * n), R(k * n), R(m * n));
        var t = new ulong[k * n];
        RingOps.Add(b0, b1, t);
        var prod = new ulong[m * n];
        void Once()
        {
            RingMatMul.Multiply(a0, t, prod, m, k, n);
            RingOps.Add(z, prod, z);
            RingMatMul.Multiply(a1, scheme == SchemeKind.ThreePc ? b0 : b1, prod, m, k, n);
            RingOps.Add(z, prod, z);
        }
        Once();
        var times = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            var sw = Stopwatch.StartNew();
            Once();
            times[r] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repetitions / 2];
    }
}
