using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Dealer2pc;

internal sealed partial class Dealer2pcScheme
{
    /// <summary>The scheme's own form: nothing to convert.</summary>
    public Share ToPair(Share x) => x;

    /// <summary>The scheme's own form: nothing to convert.</summary>
    public Share FromPair(Share y) => y;
}
