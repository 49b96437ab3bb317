using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Aby3;

internal sealed partial class Aby3Scheme
{
    /// <summary>Replicated AND: local cross terms XOR a zero share, one resharing message (one word per word).</summary>
    public Share And(Share a, Share b)
    {
        if (!IsCompute) return Share.Empty(a.Length, 0);
        int n = a.Length;
        var z = ZeroShare(n, boolean: true);
        var t = new ulong[n];
        var u = new ulong[n];
        RingOps.Xor(b.C[0], b.C[1], t);
        RingOps.And(a.C[0], t, u);
        RingOps.Xor(z, u, z);
        RingOps.And(a.C[1], b.C[0], u);
        RingOps.Xor(z, u, z);
        return Reshare(z);
    }
}
