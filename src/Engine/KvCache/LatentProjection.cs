using MathNet.Numerics.LinearAlgebra;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// XQuant's latent for grouped-query models. A projection W ([out][in], y = W·x) with out &lt; in has the thin SVD
/// W = U·Σ·Vᵀ; the cache keeps the rank-<c>out</c> latent Vᵀ·x (the paper's X·U_k, as wide as the KV projection
/// instead of as wide as X) and rebuilds y = (U·Σ)·latent. Computed once, offline, in double precision.
/// </summary>
public sealed class LatentProjection
{
    private LatentProjection(int rank, int inputs, int outputs, float[] down, float[] up)
    {
        Rank = rank;
        Inputs = inputs;
        Outputs = outputs;
        Down = down;
        Up = up;
    }

    public int Rank { get; }
    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>Vᵀ, [rank][in]: latent = Down·x.</summary>
    public float[] Down { get; }

    /// <summary>U·Σ, [out][rank]: y = Up·latent.</summary>
    public float[] Up { get; }

    public static LatentProjection Of(ReadOnlySpan<float> weight, int outputs, int inputs)
    {
        if (weight.Length != outputs * inputs)
            throw new ArgumentException($"weight has {weight.Length} elements, expected {outputs}x{inputs}");
        var w = Matrix<double>.Build.Dense(outputs, inputs);
        for (int r = 0; r < outputs; r++)
            for (int c = 0; c < inputs; c++)
                w[r, c] = weight[r * inputs + c];
        var svd = w.Svd(computeVectors: true);
        int rank = Math.Min(outputs, inputs);
        var down = new float[rank * inputs];
        var up = new float[outputs * rank];
        for (int k = 0; k < rank; k++)
        {
            for (int c = 0; c < inputs; c++)
                down[k * inputs + c] = (float)svd.VT[k, c];
            for (int r = 0; r < outputs; r++)
                up[r * rank + k] = (float)(svd.U[r, k] * svd.S[k]);
        }
        return new LatentProjection(rank, inputs, outputs, down, up);
    }
}
