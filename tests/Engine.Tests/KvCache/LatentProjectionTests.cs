using PrivateInference.Engine.KvCache;
using PrivateInference.Kernels.Float;

namespace PrivateInference.Engine.Tests.KvCache;

public class LatentProjectionTests
{
    [Fact]
    public void LatentPathReproducesKeysAndValuesOfEveryLayer()
    {
        var weights = SharedAssets.Stories260K;
        var c = weights.Config;
        var latents = XQuantLatents.Of(weights);
        var rng = new Random(3);
        var x = new float[c.Dim];
        var direct = new float[c.KvDim];
        var latent = new float[c.KvDim];
        var rebuilt = new float[c.KvDim];
        for (int l = 0; l < c.Layers; l++)
            foreach (var (w, projection) in new[] { (weights.Wk, latents.Keys[l]), (weights.Wv, latents.Values[l]) })
            {
                Assert.Equal(c.KvDim, projection.Rank);
                for (int trial = 0; trial < 20; trial++)
                {
                    for (int i = 0; i < c.Dim; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
                    FloatKernels.MatVec(weights.Layer(w, l, c.KvDim, c.Dim), x, direct);
                    FloatKernels.MatVec(projection.Down, x, latent);
                    FloatKernels.MatVec(projection.Up, latent, rebuilt);
                    float scale = direct.Max(MathF.Abs);
                    for (int i = 0; i < c.KvDim; i++)
                        Assert.True(MathF.Abs(direct[i] - rebuilt[i]) <= 1e-5f * (1 + scale), $"layer {l}: {direct[i]} vs {rebuilt[i]}");
                }
            }
    }
}
