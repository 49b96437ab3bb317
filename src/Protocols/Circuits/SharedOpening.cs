namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// One operand's masked opening in a <see cref="TruncatedProducts"/> round, kept for a sign test on the same operand
/// (<see cref="MaskedComparison.SignStepsOnOpened"/>): the comparison then needs no opening of its own. P0 and P1 hold
/// the opened z + r (their masked shares added up), the helper its mask r; filled by the products' round, read by the
/// comparison's later steps.
/// </summary>
internal sealed class SharedOpening
{
    /// <summary>P0 and P1: z + r for every element of the operand, once the products' round has received it.</summary>
    public ulong[]? Masked { get; set; }
    /// <summary>Helper: the mask r of every element, once it has dealt the products' material.</summary>
    public ulong[]? Mask { get; set; }
}
