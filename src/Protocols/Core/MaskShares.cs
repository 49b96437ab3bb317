namespace PrivateInference.Protocols.Core;

/// <summary>
/// A truncation mask r = r0 + r1 in a ring of w bits, r0 and r1 the draws P0 and P1 share with the helper: R =
/// (r mod 2^(w−1)) &gt;&gt; d is a0 + a1 + λ − 2^(w−1−d)·ω with a_i = (r_i mod 2^(w−1)) &gt;&gt; d, ω the wrap of the two
/// low parts at 2^(w−1) and λ ∈ {0, 1} the carry out of their low d bits. The 2-out-of-2 truncation and the one-round
/// products use R = a0 + a1 − 2^(w−1−d)·ω (dropping λ), so only ω is dealt (docs/protocols.md, "Exact truncation").
/// </summary>
internal static class MaskShares
{
    /// <summary>ω: 1 when the two shares' parts below bit w − 1 add up past it (the helper knows both).</summary>
    public static ulong Wrap(ulong r0, ulong r1, int w)
    {
        ulong low = NarrowWords.Mask(w - 1);
        return ((r0 & low) + (r1 & low)) >> (w - 1);
    }

    /// <summary>A party's share of R from its own share of r and its share of ω (the helper: r_i and ω for one of
    /// the parties, 0 for the other).</summary>
    public static ulong RShare(ulong rShare, ulong wrapShare, int d, int w) =>
        ((rShare & NarrowWords.Mask(w - 1)) >> d) - (wrapShare << (w - 1 - d));
}
