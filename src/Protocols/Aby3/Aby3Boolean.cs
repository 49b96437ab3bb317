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
        Ring.AndShares3pc(a.C[0], a.C[1], b.C[0], b.C[1], z);
        return Reshare(z);
    }
}
