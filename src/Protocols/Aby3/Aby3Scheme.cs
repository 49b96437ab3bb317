using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Aby3;

/// <summary>
/// 2-out-of-3 replicated sharing over Z_2^64 (ABY3, semi-honest, honest majority). x = C0 + C1 + C2 and
/// compute party P_i holds (C_i, C_{i+1}); boolean sharing is the same with XOR. Parties 3+ (client, model
/// owner) hold nothing and only take part in input and reveal.
/// </summary>
internal sealed partial class Aby3Scheme : SchemeBase, IScheme
{
    public Aby3Scheme(Channel channel, PairwiseKeys keys) : base(channel, keys) { }

    private bool IsCompute => Me < 3;
    private int Next => (Me + 1) % 3;
    private int Prev => (Me + 2) % 3;

    public int Components => IsCompute ? 2 : 0;

    /// <summary>Pseudo-random 3-out-of-3 zero sharing from the two pair keys: no messages.</summary>
    private ulong[] ZeroShare(int n, bool boolean)
    {
        var a = DrawFrom(Next, n);
        var b = DrawFrom(Prev, n);
        if (boolean) RingOps.Xor(a, b, a); else RingOps.Sub(a, b, a);
        return a;
    }

    /// <summary>3-out-of-3 to 2-out-of-3: P_i sends its term to P_{i-1}. One round, one element per element.</summary>
    private Share Reshare(ulong[] z)
    {
        Ch.Send(Prev, z);
        var next = Ch.ReceiveUlongs(Next, z.Length);
        Ch.Round();
        return new Share(z.Length, [z, next]);
    }
}
