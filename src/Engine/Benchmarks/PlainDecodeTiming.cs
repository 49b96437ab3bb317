using System.Diagnostics;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Benchmarks;

/// <summary>
/// The plaintext cost of the same decode step a private benchmark measures: one forward at position context−1.
/// Earlier positions are not run first: a step reads the cache whatever it holds, so its cost is the same.
/// </summary>
public static class PlainDecodeTiming
{
    /// <summary>Median ms of one step; with <paramref name="layersOnly"/> the final norm and classifier are skipped.</summary>
    public static double MedianMs(LlamaWeights weights, int context, int steps, bool layersOnly)
    {
        var model = new PlainTransformer(weights);
        var c = weights.Config;
        var times = new double[Math.Max(steps, 5)];
        model.Forward(1, context - 1, !layersOnly); // warm-up
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            model.Forward(1 + i % (c.VocabSize - 1), context - 1, !layersOnly);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return Median(times);
    }

    private static double Median(double[] xs)
    {
        var s = xs.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
