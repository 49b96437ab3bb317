namespace PrivateInference.Engine.CachePolicies;

/// <summary>Every position 0..pos, as llama2.c.</summary>
public sealed class FullAttention(int seqLen) : IAttentionPolicy
{
    private readonly int[] _all = Enumerable.Range(0, seqLen).ToArray();
    private int _length;

    public void BeginLayer(int layer, int pos, ReadOnlySpan<float> queries, ReadOnlySpan<float> keys) => _length = pos + 1;

    public ReadOnlySpan<int> AttendedPositions(int kvHead) => _all.AsSpan(0, _length);

    public void ObserveAttention(int layer, int pos, int head, ReadOnlySpan<float> probabilities) { }
}
