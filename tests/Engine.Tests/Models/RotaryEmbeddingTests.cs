using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Models;

public sealed class RotaryEmbeddingTests
{
    [Fact]
    public void AdjacentPairsRotateByPositionTimesFrequency()
    {
        var cos = new float[2];
        var sin = new float[2];
        RotaryEmbedding.Angles(pos: 3, headSize: 4, theta: 10000f, cos, sin);
        var v = new float[] { 1, 0, 0, 1 };
        RotaryEmbedding.Apply(v, 4, cos, sin);
        // pair 0: angle 3·1; pair 1: angle 3·10000^(-1/2) = 0.03
        Assert.Equal(Math.Cos(3), v[0], 5);
        Assert.Equal(Math.Sin(3), v[1], 5);
        Assert.Equal(-Math.Sin(0.03), v[2], 5);
        Assert.Equal(Math.Cos(0.03), v[3], 5);
    }
}
