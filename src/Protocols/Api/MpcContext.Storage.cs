using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols;

/// <summary>
/// A party's own share components of a tensor, out of a session and back into a later one: how compute parties keep
/// the model owner's weight shares at rest. Components are this party's alone (two in 3pc, one at a 2pc compute party,
/// none at the dealer or an outside endpoint) and reveal nothing by themselves; a stored share is only valid at the
/// same party of a cluster running the same scheme.
/// </summary>
public sealed partial class MpcContext
{
    /// <summary>Share components per value at this party (what <see cref="LocalShares"/> returns for each tensor).</summary>
    public int ShareComponents => _scheme.Components;

    /// <summary>Copies of this party's components of <paramref name="x"/>.</summary>
    public ulong[][] LocalShares(SecretTensor x) =>
        x.Pair
            ? throw new InvalidOperationException("a tensor on the 2-out-of-2 form is not stored; store inputs in the scheme's form")
            : x.Data.C.Select(c => (ulong[])c.Clone()).ToArray();

    /// <summary>A tensor from components this party stored earlier (<see cref="LocalShares"/>); throws
    /// <see cref="ArgumentException"/> when their count or lengths do not fit this party and shape.</summary>
    public SecretTensor FromLocalShares(int[] shape, int scale, ulong[][] components)
    {
        int n = Count(shape);
        if (components.Length != _scheme.Components)
            throw new ArgumentException($"this party holds {_scheme.Components} share components per value, the stored share has {components.Length}");
        if (components.Any(c => c is null || c.Length != n))
            throw new ArgumentException($"a stored share component does not have the {n} values of shape [{string.Join(",", shape)}]");
        return T(shape, scale, new Share(n, components));
    }
}
