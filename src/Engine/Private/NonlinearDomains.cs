using MathNet.Numerics.LinearAlgebra;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Private;

/// <summary>
/// The public input domains of a model's private softmax and SiLU: every attention score lies below 2^ScoreLog2 and
/// every SiLU input below 2^GateLog2 in magnitude, for any prompt. They are bounds, not measurements: after an RMSNorm
/// the normalized vector x·rsqrt(Σx² + d·eps) has norm below 1 (the gain and √d are folded into the next matrix), RoPE
/// is a rotation, so a score q_h·k_g is at most σ(Wq_h)·σ(Wk_g) (spectral norms of the folded head blocks, 1/√hs inside
/// Wq), or tighter the largest σ over RoPE's relative rotations (<see cref="RotatedBound"/>, where that is cheap) and a
/// gate input at most the norm of its column of W1 — times 1.01 for the private norm's approximation, and
/// one more factor 2 of room. The owner derives them from the weights it holds; they are part of the model's public
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
        foreach (var (name, v) in new[] { ("score", ScoreLog2), ("gate", GateLog2) })
            if (v < MpcContext.MinRangeLog2 || v > MpcContext.NonlinearRangeLog2)
                throw new InputException($"the {name} domain 2^{v} is outside the private protocols' 2^{MpcContext.MinRangeLog2}..2^{MpcContext.NonlinearRangeLog2}");
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
        bool rotations = (double)c.Layers * c.Heads * 2 * c.SeqLen * hs * hs * hs <= RotationBudget;
        for (int l = 0; l < c.Layers; l++)
        {
            var wqkv = w.Wqkv[l];
            // A head block W (d × hs) as its thin-QR factor T (hs × hs): W = U·T with orthonormal U, so σ(W) = σ(T) and
            // every product through U keeps its norm; the d-sized work is done once per head.
            Matrix<double> Core(int offset) => Matrix<double>.Build.Dense(d, hs, (i, j) => wqkv[i * cols + offset + j])
                .QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin).R;
            var keys = Enumerable.Range(0, c.KvHeads).Select(g => Core(d + g * hs)).ToArray();
            var keyNorms = keys.Select(k => k.L2Norm()).ToArray();
            for (int q = 0; q < c.Heads; q++)
            {
                var query = Core(q * hs);
                int g = q / c.KvGroup;
                double head = query.L2Norm() * keyNorms[g];
                if (rotations) head = Math.Min(head, RotatedBound(query, keys[g], c));
                score = Math.Max(score, head);
            }
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

    /// <summary>Work (multiply-adds) up to which <see cref="Bounds"/> takes RoPE's relative rotations into account.</summary>
    private const double RotationBudget = 4e8;

    /// <summary>
    /// The largest |q·k| of one query and one key head over unit inputs and every relative position δ of the context:
    /// the score is xᵀ·Wq·R(δ)·Wkᵀ·y (RoPE's rotations at positions i and j combine into R(j − i)), so it is
    /// max_δ σ(Tq·R(δ)·Tkᵀ) with Wq = Uq·Tq and Wk = Uk·Tk (thin QR; the orthonormal factors keep norms): head-size
    /// square matrices, below σ(Wq)·σ(Wk), which aligns the two heads' largest directions whatever δ does.
    /// </summary>
    private static double RotatedBound(Matrix<double> tq, Matrix<double> tk, Models.LlamaConfig c)
    {
        int hs = c.HeadSize;
        var tkT = tk.Transpose();
        var rotation = Matrix<double>.Build.Dense(hs, hs);
        double worst = 0;
        for (int delta = -(c.SeqLen - 1); delta < c.SeqLen; delta++)
        {
            for (int p = 0; p < hs / 2; p++)
            {
                double angle = delta * Math.Pow(c.RopeTheta, -2.0 * p / hs), cos = Math.Cos(angle), sin = Math.Sin(angle);
                // q_rot = R q with R = [cos −sin; sin cos] per pair; the score pairs q and k through R(i)ᵀR(j).
                rotation[2 * p, 2 * p] = cos; rotation[2 * p, 2 * p + 1] = -sin;
                rotation[2 * p + 1, 2 * p] = sin; rotation[2 * p + 1, 2 * p + 1] = cos;
            }
            worst = Math.Max(worst, (tq * rotation * tkT).L2Norm());
        }
        return worst;
    }

    /// <summary>The domains of the folded weights: 2^⌈log2(2.04·bound)⌉, at least 2^<see cref="MpcContext.MinRangeLog2"/>.
    /// A model whose bound passes 2^19 is refused with one line naming it: its scores could leave every domain the
    /// protocols have.</summary>
    public static NonlinearDomains Of(FoldedWeights w)
    {
        var (score, gate) = Bounds(w);
        return new NonlinearDomains(Log2Domain("attention scores", score), Log2Domain("SiLU inputs", gate));
    }

    private static int Log2Domain(string what, double bound)
    {
        const double margin = 2 * 1.01 * 1.01;
        int log2 = Math.Max(MpcContext.MinRangeLog2, (int)Math.Ceiling(Math.Log2(Math.Max(bound * margin, 1))));
        if (!double.IsFinite(bound) || log2 > MpcContext.NonlinearRangeLog2)
            throw new InputException($"the model's {what} can reach {bound:G4} (a bound from its weights); the private protocols cover |x| < 2^{MpcContext.NonlinearRangeLog2 - 1} with margin");
        return log2;
    }
}
