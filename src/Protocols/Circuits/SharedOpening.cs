namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// One operand's masked opening in a <see cref="TruncatedProducts"/> round, kept for later use of the same opening:
/// by a sign test on the operand (<see cref="MaskedComparison.SignStepsOnOpened"/>), which then opens nothing itself,
/// and by a later products round that multiplies the operand's truncation again (<c>reuse</c> in
/// <see cref="TruncatedProducts.RunSteps"/>), which then opens only the other factor. Filled by the round that opens
/// the operand; P0 and P1 keep what they computed from the opening, the helper its masks.
/// </summary>
internal sealed class SharedOpening
{
    /// <summary>The truncation bits d of the opened operand.</summary>
    public int Bits { get; set; }
    /// <summary>The ring width w of the opening (<see cref="Pending.Width"/>): <see cref="Masked"/> is known modulo 2^w.</summary>
    public int Width { get; set; } = 64;
    /// <summary>The ring width that the opening round's results, and <see cref="MShare"/>, are correct in.</summary>
    public int OutWidth { get; set; } = 64;
    /// <summary>P0 and P1: z + r for every element (their masked shares added up).</summary>
    public ulong[]? Masked { get; set; }
    /// <summary>P0 and P1: the public P(c) and κ of the truncation, and this party's share of M = R − κρ.</summary>
    public ulong[]? Public { get; set; }
    public ulong[]? Kappa { get; set; }
    public ulong[]? MShare { get; set; }
    /// <summary>Helper: the mask r of every element, and R = (r mod 2^(w−1)) &gt;&gt; d and ρ (r's bit w − 1); for an
    /// exact operand R = r and ρ = 0.</summary>
    public ulong[]? Mask { get; set; }
    public ulong[]? R { get; set; }
    public ulong[]? Rho { get; set; }
}
