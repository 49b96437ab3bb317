namespace PrivateInference.Protocols;

/// <summary>Which sharing scheme a session runs.</summary>
public enum SchemeKind
{
    /// <summary>2-out-of-3 replicated sharing among P0, P1, P2 (ABY3-style, semi-honest, honest majority).</summary>
    ThreePc,
    /// <summary>Additive sharing between P0 and P1 with P2 as a dealer of correlated randomness only.</summary>
    TwoPcDealer,
}

/// <summary>Party ids of a session. Compute parties are 0..2; the client and the model owner sit outside.</summary>
public static class PartyIds
{
    public const int P0 = 0;
    public const int P1 = 1;
    public const int P2 = 2;
    /// <summary>Input owner of the prompt and the only receiver of outputs.</summary>
    public const int Client = 3;
    /// <summary>Input owner of the weights.</summary>
    public const int ModelOwner = 4;

    public static readonly int[] ComputeParties = [P0, P1, P2];
}

public sealed record MpcOptions
{
    /// <summary>Fixed-point fractional bits f (values are x * 2^f in Z_2^64).</summary>
    public int FracBits { get; init; } = FixedPoint.FixedPointEncoding.DefaultFractionalBits;

    /// <summary>Attention scores lie below 2^ScoreRangeLog2 in magnitude (public, from the model: softmax's max and exp's
    /// clamp compare only the bits such values reach); <see cref="MpcContext.MinRangeLog2"/>..<see cref="MpcContext.NonlinearRangeLog2"/>.</summary>
    public int ScoreRangeLog2 { get; init; } = MpcContext.NonlinearRangeLog2;

    /// <summary>SiLU and sigmoid inputs lie below 2^GateRangeLog2 in magnitude (public, from the model).</summary>
    public int GateRangeLog2 { get; init; } = MpcContext.NonlinearRangeLog2;

    /// <summary>Bound into the key derivation, so two sessions of the same parties never share PRG streams.</summary>
    public string SessionLabel { get; init; } = "";
}
