using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Static eviction by threshold on shares, after the prefill of one layer: the secret validity bit of each of the
/// public number of prompt slots static eviction kept (1: its window sum reached the threshold), and the mask that
/// takes the others out of every later softmax without revealing which, or how many, they are.
/// A dropped slot's key and value are zeros in the cache (the compaction gathered them by an all-zero one-hot row), so
/// its score q·k is 0 whatever the query; adding (v − 1)·2^20 puts it at −2^20, the value the softmax gives a publicly
/// masked entry. Valid scores lie in (−2^20 + 16, 2^20 − 16) (the nonlinear domain, less the clamp), so a dropped slot
/// is never the row's maximum (the newest token, always valid, is in every row) and its e^(x − max) has x − max &lt; −16,
/// which exp clamps to exactly 0; differences stay below 2^21, within the comparisons' width. All local: no round,
/// no byte, at every decode step.
/// </summary>
/// <param name="Valid">secret bits [slots] (scale 0), slot order as the compacted cache.</param>
public sealed record ThresholdMask(SecretTensor Valid)
{
    /// <summary>What a dropped slot's score becomes (real): the softmax's own value for a masked entry.</summary>
    public const int DroppedScore = -(1 << MpcContext.NonlinearRangeLog2);

    public int Slots => Valid.Length;

    /// <summary>Scores [..., n] (any scale; the cache's first <see cref="Slots"/> positions are the prompt's kept slots,
    /// the rest generated tokens, always valid) with the dropped slots at <see cref="DroppedScore"/>. A score scale so
    /// fine that 2^21 would not fit the ring's 2^62 is truncated to f first (one round; only above f = 20).</summary>
    public SecretTensor Apply(MpcContext ctx, SecretTensor scores)
    {
        int n = scores.LastDim;
        if (n < Slots) throw new ArgumentException($"scores over {n} positions, fewer than the {Slots} kept slots");
        if (scores.Scale + MpcContext.NonlinearRangeLog2 + 1 > 62) scores = ctx.Rescale(scores, ctx.FracBits);
        // (v − 1)·2^20 at scale 0, then over the n positions (shared zeros after the slots): local.
        var penalty = ctx.MulPublicInt(ctx.AddPublic(Valid, -1), -DroppedScore);
        var perPosition = ctx.Rearrange(penalty, Enumerable.Range(0, n).Select(t => t < Slots ? t : -1).ToArray(), n);
        return ctx.Add(scores, perPosition);
    }
}
