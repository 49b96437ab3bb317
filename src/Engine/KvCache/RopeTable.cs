using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>cos/sin of every position's RoPE angles, from the same routine as the engine so rematerialized keys match
/// the engine's bit for bit.</summary>
public sealed class RopeTable
{
    private readonly float[] _cos, _sin;
    private readonly int _half, _headSize;

    public RopeTable(LlamaConfig config)
    {
        _headSize = config.HeadSize;
        _half = _headSize / 2;
        _cos = new float[config.SeqLen * _half];
        _sin = new float[config.SeqLen * _half];
        for (int pos = 0; pos < config.SeqLen; pos++)
            RotaryEmbedding.Angles(pos, _headSize, config.RopeTheta, _cos.AsSpan(pos * _half, _half), _sin.AsSpan(pos * _half, _half));
    }

    /// <summary>FLOPs of rotating one key row of <paramref name="width"/> values: 4 multiplies and 2 adds per pair.</summary>
    public static long Flops(int width) => 3L * width;

    public void Apply(Span<float> key, int pos) =>
        RotaryEmbedding.Apply(key, _headSize, _cos.AsSpan(pos * _half, _half), _sin.AsSpan(pos * _half, _half));
}
