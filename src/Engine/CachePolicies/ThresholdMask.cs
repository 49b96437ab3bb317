using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Static eviction by threshold on shares, after the prefill of one layer: the secret validity bit of each of the
/// public number of prompt slots static eviction kept (1: its window sum reached the threshold), and the mask that
/// takes the others out of every later softmax without revealing which, or how many, they are.
/// A dropped slot's key and value are zeros in the cache (the compaction gathered them by an all-zero one-hot row), so
/// its score q·k is 0 whatever the query; adding (v − 1)·2^B puts it at −2^B (B the session's score domain,
/// <see cref="MpcContext.MaskedScore"/>), the value the softmax gives a publicly masked entry. Valid scores lie in
/// (−2^B + 16, 2^B − 16) (the domain, less the clamp), so a dropped slot is never the row's maximum (the newest token,
/// always valid, is in every row) and its e^(x − max) has x − max &lt; −16, which exp clamps to exactly 0; differences
/// stay below 2^(B+1), within the comparisons' width. All local: no round,
/// no byte, at every decode step.
/// Dynamic selection should not spend its budget on clusters whose slots were all dropped: whether each whole cluster
/// of the slots holds a valid one is computed once (<see cref="Create"/>), and such a cluster's bound score is lowered
/// by <see cref="EmptyPenalty"/> (<see cref="PenalizeEmpty"/>, local), so that it ranks below every other, as in the
/// plaintext bounds (<see cref="ClusterBounds.EmptyPenalty"/>).
/// </summary>
/// <param name="Valid">secret bits [slots] (scale 0), slot order as the compacted cache.</param>
/// <param name="Occupied">per cluster size (child, parent): secret bits [whole clusters] (scale 0), 1 where the cluster
/// holds a valid slot. Clusters that reach past the slots hold generated tokens, which are valid.</param>
public sealed record ThresholdMask(SecretTensor Valid, IReadOnlyDictionary<int, SecretTensor> Occupied)
{
    /// <summary>What a dropped slot's score becomes (real): the softmax's own value for a masked entry.</summary>
    public static double DroppedScore(MpcContext ctx) => ctx.MaskedScore;

    public int Slots => Valid.Length;

    /// <summary>What a cluster of dropped slots only loses: it then ranks below every valid cluster while bound scores on
    /// shares stay within ±512 (an empty cluster's own score is 0), the same range the rank selection's padding
    /// exclusion (1024) already needs; and padding still ranks below it. stories260K's reach about 280.</summary>
    public const int EmptyPenalty = 512;

    /// <summary>The mask of <paramref name="valid"/> with the occupancy of the whole child and parent clusters of the
    /// slots: [Σ v ≥ 1] per cluster, one comparison batch (once per layer, at the end of the prefill).</summary>
    public static ThresholdMask Create(MpcContext ctx, SecretTensor valid, int childSize, int clusterSize)
    {
        int k = valid.Length, width = Math.Max(childSize, clusterSize);
        int[] sizes = childSize == clusterSize ? [childSize] : [childSize, clusterSize];
        var whole = sizes.Select(size => k / size).ToArray();
        var indices = new List<int>();
        for (int s = 0; s < sizes.Length; s++)
            for (int c = 0; c < whole[s]; c++)
                for (int j = 0; j < width; j++) indices.Add(j < sizes[s] ? c * sizes[s] + j : -1);
        var occupied = new Dictionary<int, SecretTensor>();
        int total = whole.Sum();
        if (total == 0) return new ThresholdMask(valid, occupied);
        var counts = ctx.Sum(ctx.Rearrange(valid, [.. indices], total, width));                  // [total], scale 0
        var bits = ctx.DRelu(ctx.AddPublic(counts, -1));                                          // [Σ v ≥ 1]
        for (int s = 0, at = 0; s < sizes.Length; at += whole[s], s++)
            if (whole[s] > 0) occupied[sizes[s]] = ctx.Slice(bits, 0, at, whole[s]);
        return new ThresholdMask(valid, occupied);
    }

    /// <summary>Bound scores [kvh, clusters] of clusters of <paramref name="size"/> tokens over the cache (times
    /// <paramref name="weight"/>: the tournament's scores carry A + B), lowered by <paramref name="weight"/>·<see
    /// cref="EmptyPenalty"/> where every slot of a whole cluster was dropped (local).</summary>
    public SecretTensor PenalizeEmpty(MpcContext ctx, SecretTensor scores, int size, int weight = 1)
    {
        if (!Occupied.TryGetValue(size, out var occupied)) return scores;
        int clusters = scores.LastDim, whole = occupied.Length;
        var penalty = ctx.MulPublicInt(ctx.AddPublic(occupied, -1), (long)EmptyPenalty * weight);
        return ctx.Add(scores, ctx.Rearrange(penalty, Enumerable.Range(0, clusters).Select(c => c < whole ? c : -1).ToArray(), clusters));
    }

    /// <summary>Scores [..., n] (any scale; the cache's first <see cref="Slots"/> positions are the prompt's kept slots,
    /// the rest generated tokens, always valid) with the dropped slots at <see cref="DroppedScore"/>. A score scale so
    /// fine that 2^21 would not fit the ring's 2^62 is truncated to f first (one round; only above f = 20).</summary>
    public SecretTensor Apply(MpcContext ctx, SecretTensor scores)
    {
        int n = scores.LastDim;
        if (n < Slots) throw new ArgumentException($"scores over {n} positions, fewer than the {Slots} kept slots");
        if (scores.Scale + ctx.Options.ScoreRangeLog2 + 1 > 62) scores = ctx.Rescale(scores, ctx.FracBits);
        // (v − 1)·2^B at scale 0, then over the n positions (shared zeros after the slots): local.
        var penalty = ctx.MulPublicInt(ctx.AddPublic(Valid, -1), (long)-DroppedScore(ctx));
        var perPosition = ctx.Rearrange(penalty, Enumerable.Range(0, n).Select(t => t < Slots ? t : -1).ToArray(), n);
        return ctx.Add(scores, perPosition);
    }
}
