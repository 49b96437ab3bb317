using PrivateInference.Protocols;

namespace PrivateInference.Engine.Private;

/// <summary>
/// Whether the private engine leaves a product untruncated for its consumer to fold the truncation into its first
/// opening (one round each: Q/K/V under RoPE, attention scores, W13, Σx², the residual stream after Wo and W2). That
/// needs room at 2f and 3f: the residual below 2^30 at 2f, Σx² below 2^28
/// at 2f, RoPE's q·cos at 3f (|q| &lt; 2^14), masked scores −2^20 at 2f. Up to f = 16 it holds with margin; finer fixed
/// point truncates each product on its own.
/// </summary>
internal static class UntruncatedProducts
{
    public static bool Allowed(MpcContext ctx) => ctx.FracBits <= 16;
}
