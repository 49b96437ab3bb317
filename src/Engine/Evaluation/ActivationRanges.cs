using System.Numerics.Tensors;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;

namespace PrivateInference.Engine.Evaluation;

/// <summary>
/// The ranges a model's activations reach on sample text, as the model owner measures them in plaintext: Σx² + d·eps
/// before the norms (the private rsqrt's input), |score| and |gate input|. Compared with the ranges the private
/// protocols cover (<see cref="PrivateCoverage"/>), they say whether a private run of the model is exact or would need
/// wider ranges.
/// </summary>
public sealed class ActivationRanges : IActivationObserver
{
    public double MinSumSquares { get; private set; } = double.PositiveInfinity;
    public double MaxSumSquares { get; private set; }
    public double MaxAbsScore { get; private set; }
    public double MaxAbsGate { get; private set; }

    public void NormInput(ReadOnlySpan<float> x, float eps)
    {
        double s = TensorPrimitives.SumOfSquares(x) + x.Length * (double)eps;
        MinSumSquares = Math.Min(MinSumSquares, s);
        MaxSumSquares = Math.Max(MaxSumSquares, s);
    }

    public void Scores(ReadOnlySpan<float> scores) => MaxAbsScore = Math.Max(MaxAbsScore, TensorPrimitives.MaxMagnitude(scores));

    public void GateInput(ReadOnlySpan<float> gate) => MaxAbsGate = Math.Max(MaxAbsGate, TensorPrimitives.MaxMagnitude(gate));

    /// <summary>Runs the plaintext model over each sequence (teacher-forced) and records the ranges.</summary>
    public static ActivationRanges Measure(LlamaWeights weights, IEnumerable<IReadOnlyList<int>> sequences)
    {
        var ranges = new ActivationRanges();
        foreach (var seq in sequences)
        {
            var model = new PlainTransformer(weights) { Observer = ranges };
            for (int pos = 0; pos < seq.Count && pos < weights.Config.SeqLen; pos++) model.Forward(seq[pos], pos);
        }
        return ranges;
    }
}
