using PrivateInference.Engine.Models;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Evaluation;

public sealed record PerplexityResult(int Chunks, long PredictedTokens, double MeanNll)
{
    public double Perplexity => Math.Exp(MeanNll);
}

/// <summary>
/// Teacher-forced perplexity: each chunk is its own sequence (BOS + tokens, truncated to the context), and every
/// token after BOS is predicted from its prefix.
/// </summary>
public static class PerplexityEvaluator
{
    public static PerplexityResult Evaluate(LlamaWeights weights, Llama2cTokenizer tokenizer, IReadOnlyList<string> chunks,
        Func<IKvCache>? cacheFactory = null, Action<int, PerplexityResult>? progress = null)
    {
        double totalNll = 0;
        long predicted = 0;
        for (int c = 0; c < chunks.Count; c++)
        {
            var tokens = tokenizer.Encode(chunks[c]);
            if (tokens.Count > weights.Config.SeqLen)
                tokens = tokens.GetRange(0, weights.Config.SeqLen);
            var model = new PlainTransformer(weights, cacheFactory?.Invoke());
            for (int pos = 0; pos + 1 < tokens.Count; pos++)
            {
                totalNll += NegativeLogLikelihood(model.Forward(tokens[pos], pos), tokens[pos + 1]);
                predicted++;
            }
            progress?.Invoke(c + 1, new PerplexityResult(c + 1, predicted, predicted == 0 ? 0 : totalNll / predicted));
        }
        if (predicted == 0)
            throw new InputException("the text has no tokens to predict (every chunk is empty)");
        return new PerplexityResult(chunks.Count, predicted, totalNll / predicted);
    }

    /// <summary>-log softmax(logits)[target], in double for a stable sum over thousands of tokens.</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        return Math.Log(sum) + max - logits[target];
    }
}
