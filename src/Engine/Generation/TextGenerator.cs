using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Generation;

/// <summary>
/// llama2.c's generation loop over the plaintext engine: the prompt (BOS first) is fed position by position, then
/// each sampled token is fed back until BOS/EOS or the token budget.
/// </summary>
public sealed class TextGenerator(PlainTransformer model, Sampler sampler)
{
    /// <summary>Checks that the prompt and the budget fit the model's context; throws <see cref="InputException"/>.</summary>
    public static void CheckFitsContext(int promptTokens, int maxTokens, int seqLen)
    {
        if (maxTokens < 1)
            throw new InputException($"--max-tokens must be at least 1, got {maxTokens}");
        if (promptTokens > seqLen)
            throw new InputException($"the prompt is {promptTokens} tokens (BOS included), longer than the model's context of {seqLen}");
        // The last sampled token is never fed back, so the run occupies prompt - 1 + max positions.
        if (promptTokens - 1 + maxTokens > seqLen)
            throw new InputException($"--max-tokens {maxTokens} is beyond the context: {promptTokens} prompt tokens + {maxTokens} " +
                                     $"new ones need {promptTokens - 1 + maxTokens} positions, the model has {seqLen} " +
                                     $"(at most {seqLen - promptTokens + 1} here)");
    }

    /// <summary>Yields the generated tokens one by one (the prompt is not repeated).</summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, int maxTokens)
    {
        if (prompt.Count == 0 || prompt[0] != Llama2cTokenizer.Bos)
            throw new ArgumentException("the prompt must start with BOS", nameof(prompt));
        CheckFitsContext(prompt.Count, maxTokens, model.Config.SeqLen);
        ReadOnlySpan<float> logits = default;
        for (int pos = 0; pos < prompt.Count; pos++)
            logits = model.Forward(prompt[pos], pos);
        int next = sampler.Sample(logits);
        for (int produced = 0; ; )
        {
            if (next is Llama2cTokenizer.Bos or Llama2cTokenizer.Eos) yield break;
            yield return next;
            if (++produced == maxTokens) yield break;
            next = sampler.Sample(model.Forward(next, prompt.Count - 1 + produced));
        }
    }
}
