using System.Diagnostics;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Kernels.Float;

namespace PrivateInference.Engine.Benchmarks;

public sealed record PlainThroughputRow(string Model, int Layers, int Threads, int Tokens, double TokensPerSecond, double MedianMs, double P90Ms);

/// <summary>
/// Plaintext decode throughput: greedy forward passes over positions 0..N-1 (token choice does not change the
/// cost), timed per token after a short warm-up.
/// </summary>
public static class PlainThroughputBenchmark
{
    public static PlainThroughputRow Run(string modelName, LlamaWeights weights, int tokens, int threads)
    {
        if (tokens < 1 || tokens > weights.Config.SeqLen)
            throw new InputException($"--tokens must lie in 1..{weights.Config.SeqLen}, got {tokens}");
        int saved = CpuParallelism.MaxThreads;
        CpuParallelism.MaxThreads = threads;
        try
        {
            var warm = new PlainTransformer(weights);
            for (int p = 0; p < Math.Min(64, tokens); p++) warm.Forward(1, p);

            var model = new PlainTransformer(weights);
            var perToken = new double[tokens];
            int token = 1;
            var total = Stopwatch.StartNew();
            for (int pos = 0; pos < tokens; pos++)
            {
                long start = Stopwatch.GetTimestamp();
                var logits = model.Forward(token, pos);
                token = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
                perToken[pos] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            total.Stop();
            Array.Sort(perToken);
            return new PlainThroughputRow(modelName, weights.Config.Layers, CpuParallelism.MaxThreads, tokens,
                tokens / total.Elapsed.TotalSeconds, Percentile(perToken, 0.5), Percentile(perToken, 0.9));
        }
        finally
        {
            CpuParallelism.MaxThreads = saved;
        }
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}
