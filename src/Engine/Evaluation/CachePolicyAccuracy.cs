using PrivateInference.Engine.CachePolicies;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Evaluation;

public sealed record CachePolicyAccuracyRow(
    string Cache, int Sequences, long PrefixTokens, long ContinuationTokens, double MeanNll, double MeanNllFull,
    double NllRatio, double Agreement, int GreedyTokens, double MeanAttendedFraction);

/// <summary>
/// How much a cache policy costs in quality, in plaintext: each sequence's first part is prefilled with full attention,
/// the policy is applied, and the rest is teacher-forced (NLL against the full cache on the same tokens); then greedy
/// decoding from the same prefix is compared token by token with the full cache's.
/// </summary>
public static class CachePolicyAccuracy
{
    /// <summary>Consecutive chunks joined by newlines until each sequence has at least <paramref name="minTokens"/>
    /// tokens (BOS included), truncated to the context.</summary>
    public static List<List<int>> BuildSequences(Llama2cTokenizer tokenizer, IReadOnlyList<string> chunks, int minTokens, int count, int seqLen)
    {
        var sequences = new List<List<int>>();
        var text = new List<string>();
        foreach (var chunk in chunks)
        {
            text.Add(chunk);
            var tokens = tokenizer.Encode(string.Join("\n", text));
            if (tokens.Count < minTokens) continue;
            sequences.Add(tokens.Count > seqLen ? tokens.GetRange(0, seqLen) : tokens);
            text.Clear();
            if (sequences.Count == count) break;
        }
        if (sequences.Count < count)
            throw new InputException($"the text holds only {sequences.Count} sequences of at least {minTokens} tokens, {count} requested");
        return sequences;
    }

    public static CachePolicyAccuracyRow Evaluate(LlamaWeights weights, IReadOnlyList<List<int>> sequences, CachePolicyOptions policy,
        double prefixFraction, int greedyTokens)
    {
        double nll = 0, nllFull = 0, attended = 0;
        long prefixTotal = 0, continuation = 0, attendedSteps = 0;
        int agree = 0, compared = 0;
        foreach (var tokens in sequences)
        {
            int prefix = Math.Clamp((int)(prefixFraction * tokens.Count), 1, tokens.Count - 1);
            prefixTotal += prefix;
            var full = new PlainTransformer(weights);
            var selection = new PlainCachePolicy(weights.Config, policy, prefix);
            var selective = new PlainTransformer(weights, attention: selection);
            for (int pos = 0; pos + 1 < tokens.Count; pos++)
            {
                var lf = full.Forward(tokens[pos], pos);
                double nf = PerplexityEvaluator.NegativeLogLikelihood(lf, tokens[pos + 1]);
                var ls = selective.Forward(tokens[pos], pos);
                if (pos + 1 < prefix) continue; // the prompt is not scored: it is identical under every policy
                nllFull += nf;
                nll += PerplexityEvaluator.NegativeLogLikelihood(ls, tokens[pos + 1]);
                continuation++;
                if (pos >= prefix)
                {
                    attended += (double)selection.AttendedCount(0) / (pos + 1);
                    attendedSteps++;
                }
            }
            int budget = Math.Min(greedyTokens, weights.Config.SeqLen - prefix);
            var a = Greedy(new PlainTransformer(weights), tokens, prefix, budget);
            var b = Greedy(new PlainTransformer(weights, attention: new PlainCachePolicy(weights.Config, policy, prefix)), tokens, prefix, budget);
            agree += a.Zip(b).Count(p => p.First == p.Second);
            compared += a.Count;
        }
        return new CachePolicyAccuracyRow(policy.Kind.ToString().ToLowerInvariant(), sequences.Count, prefixTotal, continuation,
            nll / continuation, nllFull / continuation, nll / nllFull, (double)agree / compared, greedyTokens,
            attendedSteps == 0 ? 1 : attended / attendedSteps);
    }

    /// <summary>Greedy tokens after feeding <paramref name="prefix"/> tokens; position-wise comparison is fair because
    /// both runs start from the same state.</summary>
    public static List<int> Greedy(PlainTransformer model, List<int> tokens, int prefix, int count)
    {
        ReadOnlySpan<float> logits = default;
        for (int pos = 0; pos < prefix; pos++) logits = model.Forward(tokens[pos], pos);
        var output = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            int next = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
            output.Add(next);
            if (i + 1 < count) logits = model.Forward(next, prefix + i);
        }
        return output;
    }
}
