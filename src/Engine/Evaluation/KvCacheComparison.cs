using System.Diagnostics;
using System.Numerics.Tensors;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Evaluation;

/// <summary>
/// Puts KV caches side by side on one model: perplexity on text, agreement with fp32 greedy decoding, the cache's
/// exact size, what rematerialization costs, and decode speed.
/// </summary>
public static class KvCacheComparison
{
    /// <summary>fp32 greedy decoding from BOS for <paramref name="tokens"/> steps (not stopped at BOS/EOS, so every
    /// cache is judged on the same number of positions): BOS followed by the tokens chosen.</summary>
    public static int[] GreedyReference(LlamaWeights weights, int tokens)
    {
        CheckTokens(weights.Config, tokens);
        var sequence = new int[tokens + 1];
        sequence[0] = Llama2cTokenizer.Bos;
        var model = new PlainTransformer(weights);
        for (int i = 0; i < tokens; i++)
            sequence[i + 1] = TensorPrimitives.IndexOfMax(model.Forward(sequence[i], i));
        return sequence;
    }

    public static KvCacheComparisonRow Run(string modelName, KvCacheSpec spec, LlamaWeights weights, Llama2cTokenizer tokenizer,
        IReadOnlyList<string> chunks, int[] reference, PerplexityResult? fp32, Action<string>? progress = null)
    {
        var c = weights.Config;
        var factory = spec.Factory(weights);
        var footprint = spec.Footprint(c);
        var metered = new List<IMeteredKvCache>();
        var ppl = PerplexityEvaluator.Evaluate(weights, tokenizer, chunks, () =>
        {
            var cache = factory();
            if (cache is IMeteredKvCache m) metered.Add(m);
            return cache;
        }, (done, partial) => progress?.Invoke($"{spec.Name} window {spec.WindowText}: chunk {done}/{chunks.Count}, mean NLL {partial.MeanNll:F4}"));

        // Teacher-forced on the fp32 greedy text: does this cache pick the same next token at each position?
        int tokens = reference.Length - 1, agreeing = 0;
        var forced = new PlainTransformer(weights, factory());
        for (int i = 0; i < tokens; i++)
            if (TensorPrimitives.IndexOfMax(forced.Forward(reference[i], i)) == reference[i + 1]) agreeing++;

        // Free-running greedy: how long does its text stay identical to fp32's? Timed as the fastest of three runs after
        // a warm-up run (JIT, caches), since other processes share this machine's cores.
        int prefix = 0;
        var fastest = TimeSpan.MaxValue;
        for (int run = 0; run < 4; run++)
        {
            var free = new PlainTransformer(weights, factory());
            int token = reference[0];
            bool same = true;
            prefix = 0;
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < tokens; i++)
            {
                token = TensorPrimitives.IndexOfMax(free.Forward(token, i));
                same &= token == reference[i + 1];
                if (same) prefix++;
            }
            if (run > 0 && clock.Elapsed < fastest) fastest = clock.Elapsed;
        }

        double held = metered.Count == 0
            ? footprint.BytesPerToken
            : (double)metered.Sum(m => m.BytesHeld) / ppl.PredictedTokens;
        long attended = metered.Sum(m => m.AttendedEntries);
        return new KvCacheComparisonRow(
            Mode: "plain",
            Model: modelName,
            Cache: spec.Name,
            Bits: spec.Bits,
            RecentWindow: spec.WindowText,
            Chunks: ppl.Chunks,
            Tokens: ppl.PredictedTokens,
            MeanNll: ppl.MeanNll,
            Perplexity: ppl.Perplexity,
            PerplexityChangePercent: fp32 is null ? null : 100 * (ppl.Perplexity / fp32.Perplexity - 1),
            AgreementTokens: tokens,
            Agreement: (double)agreeing / tokens,
            MatchingPrefix: prefix,
            CacheBytesPerToken: footprint.BytesPerToken,
            CacheBytesPerTokenPerLayer: footprint.BytesPerTokenPerLayer,
            RatioVsFp16: footprint.RatioVsFp16,
            HeldBytesPerToken: held,
            QuantizedShare: attended == 0 ? 0 : (double)metered.Sum(m => m.QuantizedAttendedEntries) / attended,
            RematFlopsPerToken: (double)metered.Sum(m => m.RematerializationFlops) / ppl.PredictedTokens,
            TokensPerSecond: tokens / Math.Max(fastest.TotalSeconds, 1e-9));
    }

    public static void CheckTokens(LlamaConfig config, int tokens)
    {
        if (tokens < 1 || tokens > config.SeqLen)
            throw new InputException($"--tokens must lie in 1..{config.SeqLen} (the model's context), got {tokens}");
    }
}
