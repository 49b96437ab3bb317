using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Private;

/// <summary>
/// Teacher-forced perplexity computed under MPC, SPMD like <see cref="PrivateGeneration"/>: the weights are shared
/// once; each chunk (its length public) is one batched private forward whose logits at every position go to the
/// client only, which scores them. Chunks are BOS + tokens truncated to the context, as in the plaintext evaluator.
/// </summary>
public static class PrivatePerplexity
{
    /// <param name="chunkLengths">public token counts of the chunks (BOS included).</param>
    /// <param name="chunks">the client's token sequences; null at every other participant.</param>
    public static PerplexityResult? Run(MpcContext ctx, LlamaConfig config, IReadOnlyList<int> chunkLengths, FoldedWeights? owner,
        IReadOnlyList<IReadOnlyList<int>>? chunks, Action<int, PerplexityResult>? progress = null)
    {
        var weights = PrivateWeights.Share(ctx, config, owner);
        if (ctx.PartyId == PartyIds.ModelOwner) return null;
        double nll = 0;
        long predicted = 0;
        for (int c = 0; c < chunkLengths.Count; c++)
        {
            int n = chunkLengths[c];
            if (n < 2) continue;
            ulong[]? oneHot = null;
            if (chunks is not null)
            {
                oneHot = new ulong[(n - 1) * config.VocabSize];
                for (int i = 0; i < n - 1; i++) oneHot[i * config.VocabSize + chunks[c][i]] = 1;
            }
            var model = new PrivateTransformer(ctx, config, weights);
            var x = ctx.InputRing(PartyIds.Client, [n - 1, config.VocabSize], oneHot, 0);
            var logits = ctx.Reveal(model.Forward(x, allPositions: true), PartyIds.Client);
            if (logits is null) continue;
            for (int i = 0; i < n - 1; i++)
                nll += PerplexityEvaluator.NegativeLogLikelihood(
                    Array.ConvertAll(logits[(i * config.VocabSize)..((i + 1) * config.VocabSize)], v => (float)v), chunks![c][i + 1]);
            predicted += n - 1;
            progress?.Invoke(c + 1, new PerplexityResult(c + 1, predicted, nll / predicted));
        }
        return ctx.PartyId == PartyIds.Client ? new PerplexityResult(chunkLengths.Count, predicted, nll / predicted) : null;
    }
}
