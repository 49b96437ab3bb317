using System.Diagnostics;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Evaluation;

/// <summary>One generation as `pi compare` sees it: tokens, the logits each was chosen from, and timings.</summary>
public sealed class GenerationRun
{
    public required string Mode { get; init; }
    public List<int> Tokens { get; init; } = [];
    public List<double[]> Logits { get; init; } = [];
    public double PrefillMs { get; set; }
    public List<double> DecodeMs { get; init; } = [];

    /// <summary>Plaintext generation (llama2.c loop) that keeps every step's logits and time.</summary>
    public static GenerationRun Plain(string mode, PlainTransformer model, IReadOnlyList<int> prompt, int maxTokens, Sampler sampler)
    {
        var run = new GenerationRun { Mode = mode };
        var clock = Stopwatch.StartNew();
        ReadOnlySpan<float> logits = default;
        for (int pos = 0; pos < prompt.Count; pos++) logits = model.Forward(prompt[pos], pos);
        run.PrefillMs = clock.Elapsed.TotalMilliseconds;
        for (int produced = 0; ; )
        {
            run.Logits.Add(Array.ConvertAll(logits.ToArray(), v => (double)v));
            int next = sampler.Sample(logits);
            if (next is Llama2cTokenizer.Bos or Llama2cTokenizer.Eos) break;
            run.Tokens.Add(next);
            if (++produced == maxTokens) break;
            clock.Restart();
            logits = model.Forward(next, prompt.Count - 1 + produced);
            run.DecodeMs.Add(clock.Elapsed.TotalMilliseconds);
        }
        return run;
    }

    /// <summary>First step where the tokens differ (the shorter length when one is a prefix), or null when equal.</summary>
    public static int? FirstDivergence(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++) if (a[i] != b[i]) return i;
        return a.Count == b.Count ? null : Math.Min(a.Count, b.Count);
    }

    /// <summary>Largest |logit difference| per step, over the steps where both runs saw the same tokens.</summary>
    public static List<double> MaxLogitError(GenerationRun reference, GenerationRun other)
    {
        int same = FirstDivergence(reference.Tokens, other.Tokens) is { } d ? d + 1 : Math.Min(reference.Logits.Count, other.Logits.Count);
        var errors = new List<double>();
        for (int s = 0; s < Math.Min(same, Math.Min(reference.Logits.Count, other.Logits.Count)); s++)
        {
            double worst = 0;
            for (int i = 0; i < reference.Logits[s].Length; i++)
                worst = Math.Max(worst, Math.Abs(reference.Logits[s][i] - other.Logits[s][i]));
            errors.Add(worst);
        }
        return errors;
    }
}
