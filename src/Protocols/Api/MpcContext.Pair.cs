using PrivateInference.Protocols.Circuits;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols;

public sealed partial class MpcContext
{
    // The 2-out-of-2 form the nonlinear functions run on: additive shares between P0 and P1 with P2 as the helper
    // that deals their correlated randomness (roles: the current ones, MpcContext.Roles.cs). In 2pc it is the scheme
    // itself; in 3pc a replicated sharing converts to it locally (P0 holds C0 + C1, P1 holds C2) and back in one round
    // (IScheme.FromPair), and the same dealer protocols run with P2 as dealer. P2 holding C2 and C0 does not matter:
    // it never receives P0's or P1's masked openings, only the helper gates' masked, shuffled per-bit vectors.

    /// <summary>Products of pending values in one round (<see cref="TruncatedProducts"/>), each result raw.</summary>
    private Share[] Products(params (Pending A, Pending B)[] pairs) => _prod.Run(pairs).Products;

    /// <summary>a'²·c' in one round (<see cref="TruncatedProducts.RunSteps"/>), raw.</summary>
    private Share SquareTimes(Pending square, Pending factor, int outWidth = 64)
    {
        var result = new RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)>();
        RoundSteps.Run(RoleChannel, _prod.RunSteps([], [(square, factor)], result, outWidth: outWidth));
        return result.Value.Products[0];
    }

    /// <summary>The pending truncation done on its own (one round; nothing when none is due).</summary>
    private Share Finish(Pending p) => p.Bits == 0 ? p.Raw : _pair.Trunc(p.Raw, p.Bits);

    private static Pending Exact(Share x) => new(x, 0);
}
