using PrivateInference.Protocols.Benchmarks;

namespace PrivateInference.Protocols.Tests.Benchmarks;

public class OpsBenchmarkTests
{
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Reports_latency_and_the_derived_traffic_of_a_fixed_point_multiply(SchemeKind scheme)
    {
        var r = OpsBenchmark.RunInProcess(scheme, new BenchCase("mul", "4096"), 3);
        Assert.Equal(3, r.Repetitions);
        Assert.True(r.MedianMs > 0 && r.P90Ms >= r.MedianMs);
        Assert.Equal(2, r.Rounds);
        // 3pc: each party helps the truncation of a third (1365, 1365, 1366 elements), sending 32 B per element it
        // helps and 16 B per other element; the busiest is P2. 2pc: P0/P1 open d, e then the truncation mask.
        Assert.Equal(scheme == SchemeKind.ThreePc ? (16.0 * 4096 + 16 * 1366) / 4096 : 24.0, r.BytesPerElement);
    }

    [Fact]
    public void Matmul_rows_carry_the_plaintext_reference_time()
    {
        var r = OpsBenchmark.RunInProcess(SchemeKind.ThreePc, new BenchCase("matmul", "2x16x8"), 2);
        Assert.NotNull(r.PlaintextMs);
        Assert.Equal(2 * 8, r.Elements);
    }

    [Fact]
    public void Every_listed_op_runs_at_a_small_size()
    {
        foreach (var op in OpsBenchmark.Ops)
        {
            var size = op switch { "matmul" => "2x8x4", "softmax" => "2x8", "topk" => "k=2 of 8", _ => "64" };
            var r = OpsBenchmark.RunInProcess(SchemeKind.TwoPcDealer, new BenchCase(op, size), 1);
            Assert.True(r.Rounds > 0, op);
        }
    }

    [Fact]
    public void Unknown_ops_are_rejected() =>
        Assert.Throws<ArgumentException>(() => OpsBenchmark.RunInProcess(SchemeKind.ThreePc, new BenchCase("fft", "8"), 1));
}
