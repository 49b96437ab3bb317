namespace PrivateInference.Engine.Evaluation;

/// <summary>
/// The ranges the private engine's nonlinear protocols cover (docs/protocols.md, "Domains"), and the check of a
/// model's measured ranges against them: inside, a private run computes what the plaintext one does up to the stated
/// errors; outside, it would not, so the owner refuses such a model with the line this returns.
/// </summary>
public static class PrivateCoverage
{
    /// <summary>rsqrt's input Σx² + d·eps (Private.PrivateTransformer's norm range).</summary>
    public static readonly double MinSumSquares = Math.Pow(2, Private.PrivateTransformer.NormMinLog2),
        MaxSumSquares = Math.Pow(2, Private.PrivateTransformer.NormMaxLog2);
    /// <summary>Scores and gate inputs: |x| &lt; 2^20 (MpcContext.NonlinearRangeLog2).</summary>
    public const double MaxAbs = 1 << Protocols.MpcContext.NonlinearRangeLog2;

    /// <summary>Null when every measured range lies inside the covered one (with a factor 4 of margin on Σx² and 2 on
    /// the others), else one line naming what the model needs.</summary>
    public static string? Check(ActivationRanges r)
    {
        var problems = new List<string>();
        if (r.MaxSumSquares * 4 >= MaxSumSquares || r.MinSumSquares < MinSumSquares)
            problems.Add($"Σx² + d·eps reaches 2^{Math.Log2(r.MaxSumSquares):F1} (lowest 2^{Math.Log2(r.MinSumSquares):F1}); the private RMSNorm covers 2^{Private.PrivateTransformer.NormMinLog2}..2^{Private.PrivateTransformer.NormMaxLog2} with a factor 4 of margin");
        if (r.MaxAbsScore * 2 >= MaxAbs) problems.Add($"attention scores reach {r.MaxAbsScore:G4}; the private softmax covers |score| < 2^19 with margin");
        if (r.MaxAbsGate * 2 >= MaxAbs) problems.Add($"SiLU inputs reach {r.MaxAbsGate:G4}; the private SiLU covers |x| < 2^19 with margin");
        return problems.Count == 0 ? null : "the model's activations leave the private ranges: " + string.Join("; ", problems);
    }
}
