using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Dealer2pc;

/// <summary>
/// Additive sharing x = x0 + x1 between P0 and P1; P2 is a dealer that runs the same program, holds no share
/// of any data and only produces correlated randomness for each op in order. P0's part of every correlation is
/// drawn from the P0-P2 pair key (P0 receives nothing from the dealer); P1's random parts come from the P1-P2
/// key and the dealer sends P1 only the corrections that make the correlation hold. The dealer never waits on
/// anyone, so its one-way stream adds no rounds (it could run ahead, offline).
/// </summary>
internal sealed partial class Dealer2pcScheme : SchemeBase, IScheme
{
    public Dealer2pcScheme(Channel channel, PairwiseKeys keys) : base(channel, keys) { }

    private const int Dealer = 2;
    private bool IsCompute => Me < 2;
    private bool IsDealer => Me == Dealer;
    private int Other => 1 - Me;

    public int Components => IsCompute ? 1 : 0;

    private static Share One(ulong[] v) => new(v.Length, [v]);

    /// <summary>
    /// The dealer counts the round P0 and P1 spend on an op it only deals for. Its stream depends on no data, so the
    /// round adds nothing to the depth, but every online party then reports the op's depth: in 3pc, where the helper's
    /// role moves between the parties from one block of layers to the next (<c>MpcContext.HelperRoles</c>), a party
    /// that deals in one block still counts that block's rounds, and the largest count of any party stays the step's depth.
    /// </summary>
    private void IdleRound() => Ch.Round();

    /// <summary>Both compute parties send their masked values and add them up: the opening of a masked value.</summary>
    private ulong[] Exchange(ulong[] mine)
    {
        Ch.Send(Other, mine);
        var theirs = Ch.ReceiveUlongs(Other, mine.Length);
        Ch.Round();
        var r = new ulong[mine.Length];
        Kernels.Ring.RingOps.Add(mine, theirs, r);
        return r;
    }
}
