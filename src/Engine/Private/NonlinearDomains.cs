using MathNet.Numerics.LinearAlgebra;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Private;

/// <summary>
/// The public input domains of a model's private softmax and SiLU: every attention score lies below 2^ScoreLog2 and
/// every SiLU input below 2^GateLog2 in magnitude, for any prompt. They are bounds, not measurements: after an RMSNorm
/// the normalized vector x·rsqrt(Σx² + d·eps) has norm below 1 (the gain and √d are folded into the next matrix), RoPE
/// is a rotation, so a score q_h·k_g is at most σ(Wq_h)·σ(Wk_g) (spectral norms of the folded head blocks, 1/√hs inside
/// Wq; every key, and so every per-channel bound of a cluster of keys, has norm at most σ(Wk_g), which MPCache's
/// selection relies on) and a gate input at most the norm of its column of W1 — times 1.01 for the private norm's
/// approximation, and one more factor 2 of room. The owner derives them from the weights it holds; they are part of the model's public
/// description and of its hash, so every party of a session runs the same ones. The comparisons of softmax (its max
/// and exp's clamp) and of SiLU then cover only the bits these values can reach (docs/protocols.md, "Domains").
/// </summary>
public sealed record NonlinearDomains(int ScoreLog2, int GateLog2)
{
    /// <summary>The widest domains (the protocols' own, |x| &lt; 2^20): what a session uses without a model's bounds.</summary>
    public static readonly NonlinearDomains Widest = new(MpcContext.NonlinearRangeLog2, MpcContext.NonlinearRangeLog2);

    /// <summary>Throws <see cref="InputException"/> unless both lie in the range the protocols accept.</summary>
    public NonlinearDomains Validated()
    {
        foreach (var (name, v, min) in new[] { ("score", ScoreLog2, MpcContext.MinRangeLog2), ("gate", GateLog2, MpcContext.MinGateRangeLog2) })
            if (v < min || v > MpcContext.NonlinearRangeLog2)
                throw new InputException($"the {name} domain 2^{v} is outside the private protocols' 2^{min}..2^{MpcContext.NonlinearRangeLog2}");
        return this;
    }

    /// <summary>The session options that run these domains.</summary>
    public MpcOptions ApplyTo(MpcOptions options) => options with { ScoreRangeLog2 = ScoreLog2, GateRangeLog2 = GateLog2 };

    /// <summary>The largest |score| and |gate input| the folded weights allow (before the margins).</summary>
    public static (double Score, double Gate) Bounds(FoldedWeights w)
    {
        var c = w.Config;
        int d = c.Dim, kv = c.KvDim, hs = c.HeadSize, cols = d + 2 * kv, h = c.HiddenDim;
        double score = 0, gate = 0;
        for (int l = 0; l < c.Layers; l++)
        {
            var wqkv = w.Wqkv[l];
            // A head block W (d × hs) as its thin-QR factor T (hs × hs): W = U·T with orthonormal U, so σ(W) = σ(T) and
            // every product through U keeps its norm; the d-sized work is done once per head.
            Matrix<double> Core(int offset) => Matrix<double>.Build.Dense(d, hs, (i, j) => wqkv[i * cols + offset + j])
                .QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).R;
            var keyNorms = Enumerable.Range(0, c.KvHeads).Select(g => Core(d + g * hs).L2Norm()).ToArray();
            for (int q = 0; q < c.Heads; q++)
                score = Math.Max(score, Core(q * hs).L2Norm() * keyNorms[q / c.KvGroup]);
            var w13 = w.W13[l];
            for (int j = 0; j < h; j++)
            {
                double s = 0;
                for (int i = 0; i < d; i++) s += (double)w13[i * 2 * h + j] * w13[i * 2 * h + j];
                gate = Math.Max(gate, Math.Sqrt(s));
            }
        }
        return (score, gate);
    }

    /// <summary>The domains of the folded weights: 2^⌈log2(2.04·bound)⌉, at least 2^<see cref="MpcContext.MinRangeLog2"/> for the scores and
    /// 2^<see cref="MpcContext.MinGateRangeLog2"/> for SiLU's inputs.
    /// A model whose bound passes 2^19 is refused with one line naming it: its scores could leave every domain the
    /// protocols have.</summary>
    public static NonlinearDomains Of(FoldedWeights w)
    {
        var (score, gate) = Bounds(w);
        return new NonlinearDomains(Log2Domain("attention scores", score, MpcContext.MinRangeLog2), Log2Domain("SiLU inputs", gate, MpcContext.MinGateRangeLog2));
    }

    private static int Log2Domain(string what, double bound, int min)
    {
        const double margin = 2 * 1.01 * 1.01;
        int log2 = Math.Max(min, (int)Math.Ceiling(Math.Log2(Math.Max(bound * margin, 1))));
        if (!double.IsFinite(bound) || log2 > MpcContext.NonlinearRangeLog2)
            throw new InputException($"the model's {what} can reach {bound:G4} (a bound from its weights); the private protocols cover |x| < 2^{MpcContext.NonlinearRangeLog2 - 1} with margin");
        return log2;
    }
}
