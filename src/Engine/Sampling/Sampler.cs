using System.Numerics.Tensors;
using PrivateInference.Kernels.Float;

namespace PrivateInference.Engine.Sampling;

/// <summary>
/// Next-token choice from logits, exactly as llama2.c's run.c (same xorshift generator, same top-p cut), so a seed
/// reproduces llama2.c's samples: temperature 0 is greedy; otherwise softmax(logits / T) sampled with nucleus top-p.
/// </summary>
public sealed class Sampler
{
    private readonly float _temperature;
    private readonly float _topP;
    private ulong _state;
    private float[] _probs = [];
    private (float Prob, int Index)[] _candidates = [];

    public Sampler(float temperature, float topP, ulong seed)
    {
        if (!(temperature >= 0) || float.IsInfinity(temperature))
            throw new InputException($"--temperature must be a finite number >= 0, got {temperature}");
        if (!(topP >= 0 && topP <= 1))
            throw new InputException($"--top-p must lie in [0, 1], got {topP}");
        _temperature = temperature;
        _topP = topP;
        _state = seed == 0 ? 1 : seed; // xorshift never leaves the all-zero state
    }

    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_temperature == 0f)
            return TensorPrimitives.IndexOfMax(logits);
        if (_probs.Length != logits.Length)
        {
            _probs = new float[logits.Length];
            _candidates = new (float, int)[logits.Length];
        }
        TensorPrimitives.Divide(logits, _temperature, _probs);
        FloatKernels.Softmax(_probs);
        float coin = RandomF32();
        return _topP <= 0 || _topP >= 1 ? SampleMultinomial(_probs, coin) : SampleTopP(_probs, coin);
    }

    private static int SampleMultinomial(ReadOnlySpan<float> probs, float coin)
    {
        float cdf = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            cdf += probs[i];
            if (coin < cdf) return i;
        }
        return probs.Length - 1;
    }

    private int SampleTopP(ReadOnlySpan<float> probs, float coin)
    {
        // Tokens below this probability can never be part of the nucleus, so they are not sorted at all.
        float cutoff = (1f - _topP) / (probs.Length - 1);
        int n = 0;
        for (int i = 0; i < probs.Length; i++)
            if (probs[i] >= cutoff) _candidates[n++] = (probs[i], i);
        var c = _candidates.AsSpan(0, n);
        c.Sort((a, b) => b.Prob.CompareTo(a.Prob));
        float cumulative = 0;
        int last = n - 1;
        for (int i = 0; i < n; i++)
        {
            cumulative += c[i].Prob;
            if (cumulative > _topP) { last = i; break; }
        }
        float r = coin * cumulative;
        float cdf = 0;
        for (int i = 0; i <= last; i++)
        {
            cdf += c[i].Prob;
            if (r < cdf) return c[i].Index;
        }
        return c[last].Index;
    }

    private uint RandomU32()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return (uint)((_state * 0x2545F4914F6CDD1DUL) >> 32);
    }

    private float RandomF32() => (RandomU32() >> 8) / 16777216.0f;
}
