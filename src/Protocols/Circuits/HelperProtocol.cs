using PrivateInference.Kernels.Random;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// Roles and randomness of the gates that P0 and P1 run on additive 2-out-of-2 shares with P2 as their helper: in 2pc
/// P2 is the dealer; in 3pc replicated shares convert locally to this form (see <c>IScheme.ToPair</c>). The helper
/// prepares masks and bit shares from its pair keys with P0 and P1 (P0's parts cost no message) and, in the gates'
/// last round, returns shares of results it computed on values masked by randomness that only P0 and P1 share.
/// </summary>
internal abstract class HelperProtocol(Channel channel, PairwiseKeys keys)
{
    protected const int Helper = 2;
    /// <summary>The prime field of the bitwise comparison's per-bit values (larger than the 64 + 2 a value can reach).</summary>
    protected const int P = 67;

    protected Channel Ch { get; } = channel;
    protected int Me { get; } = channel.PartyId;
    protected bool IsCompute => Me < 2;
    protected bool IsHelper => Me == Helper;
    protected int Other => 1 - Me;

    protected ulong[] Draw(int peer, int n)
    {
        var r = new ulong[n];
        using var s = keys.Stream(peer);
        s.Fill(r);
        return r;
    }

    /// <summary>The stream P0 and P1 share (the helper never opens it).</summary>
    protected AesCtrPrg Common() => keys.Stream(Other);

    /// <summary>n uniform elements of Z_67 from a stream (64-bit draws reduced: bias below 2^-57).</summary>
    protected byte[] DrawModP(int peer, int n)
    {
        var u = Draw(peer, n);
        var r = new byte[n];
        for (int i = 0; i < n; i++) r[i] = (byte)(u[i] % P);
        return r;
    }

    protected static Share One(ulong[] v) => new(v.Length, [v]);

    protected Share None(int n) => Share.Empty(n, 0);

    /// <summary>P0 and P1 swap masked values and add them up: one round (the helper counts it too, idle).</summary>
    protected ulong[] Open(ulong[] mine)
    {
        if (!IsCompute) { if (IsHelper) Ch.Round(); return []; }
        Ch.Send(Other, mine);
        var theirs = Ch.ReceiveUlongs(Other, mine.Length);
        Ch.Round();
        for (int i = 0; i < mine.Length; i++) theirs[i] += mine[i];
        return theirs;
    }
}
