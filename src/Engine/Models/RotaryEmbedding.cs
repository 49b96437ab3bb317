namespace PrivateInference.Engine.Models;

/// <summary>
/// RoPE on adjacent pairs (2i, 2i+1) with freq = theta^(-2i/head_size), computed in float32 the way llama2.c's run.c
/// does so that greedy outputs match it token for token. Positions and angles are public, so the private engine uses
/// the same tables on shares.
/// </summary>
public static class RotaryEmbedding
{
    /// <summary>cos/sin of each pair's angle at <paramref name="pos"/>; both spans have head_size/2 entries.</summary>
    public static void Angles(int pos, int headSize, float theta, Span<float> cos, Span<float> sin)
    {
        for (int i = 0; i < headSize / 2; i++)
        {
            float freq = 1.0f / MathF.Pow(theta, 2 * i / (float)headSize);
            float val = pos * freq;
            cos[i] = MathF.Cos(val);
            sin[i] = MathF.Sin(val);
        }
    }

    /// <summary>Rotates every head of <paramref name="vec"/> (length a multiple of head_size) in place.</summary>
    public static void Apply(Span<float> vec, int headSize, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        for (int i = 0; i < vec.Length; i += 2)
        {
            int pair = (i % headSize) / 2;
            float v0 = vec[i], v1 = vec[i + 1];
            vec[i] = v0 * cos[pair] - v1 * sin[pair];
            vec[i + 1] = v0 * sin[pair] + v1 * cos[pair];
        }
    }
}
