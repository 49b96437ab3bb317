using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Tests.Circuits;

/// <summary>Runs a helper gate directly on P0, P1 and the helper P2 (fresh pairwise keys), on 2-out-of-2 shares of
/// test values: P1 holds a random split, P0 the rest, the helper nothing.</summary>
internal static class HelperGateHarness
{
    public static T[] Run<T>(string label, Func<MpcContext, PairwiseKeys, T> body) =>
        InProcessSession.Run(SchemeKind.TwoPcDealer, [0, 1, 2], ctx =>
        {
            using var keys = PairwiseKeys.Establish(ctx.Channel, [0, 1, 2], label);
            return body(ctx, keys);
        });

    /// <summary>Party <paramref name="me"/>'s share of <paramref name="raw"/>, P1's part being <paramref name="split"/>.</summary>
    public static Share Split(int me, long[] raw, ReadOnlySpan<ulong> split)
    {
        if (me > 1) return Share.Empty(raw.Length, 0);
        var mine = split.ToArray();
        if (me == 0) for (int i = 0; i < mine.Length; i++) mine[i] = (ulong)raw[i] - mine[i];
        return new Share(raw.Length, [mine]);
    }
}
