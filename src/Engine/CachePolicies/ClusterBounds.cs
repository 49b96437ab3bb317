namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Per-channel min and max of the keys of one KV head's kept cache, per cluster, at the child granularity. The kept
/// cache only grows at its end, so only the newest child cluster changes when a token arrives; parent bounds are the
/// min/max of their children. A slot that static eviction by threshold dropped enters as a zero key (what the private
/// cache holds there), and a cluster with no valid slot scores <see cref="EmptyPenalty"/> less.
/// </summary>
public sealed class ClusterBounds(int headSize, int childSize)
{
    /// <summary>Subtracted from the bound score of a cluster whose slots were all dropped: it then ranks below every
    /// other (whatever the scores' scale: this side's queries lack the 1/√head_size the private ones carry), as
    /// <see cref="ThresholdMask.EmptyPenalty"/> ranks it on shares.</summary>
    public const double EmptyPenalty = 1e9;

    private readonly List<float[]> _min = [];
    private readonly List<float[]> _max = [];
    private readonly List<int> _valid = [];   // per child: slots not dropped

    public int Length { get; private set; }

    /// <param name="valid">false for a slot static eviction by threshold dropped (its key is then zeros).</param>
    public void Append(ReadOnlySpan<float> key, bool valid = true)
    {
        if (Length % childSize == 0)
        {
            _min.Add(key.ToArray());
            _max.Add(key.ToArray());
            _valid.Add(0);
        }
        else
        {
            float[] mn = _min[^1], mx = _max[^1];
            for (int j = 0; j < headSize; j++)
            {
                mn[j] = Math.Min(mn[j], key[j]);
                mx[j] = Math.Max(mx[j], key[j]);
            }
        }
        if (valid) _valid[^1]++;
        Length++;
    }

    /// <summary>Linearized upper-bound scores q·(a·max + (1−a)·min) of the given clusters of <paramref name="size"/>
    /// tokens (a multiple of the child size).</summary>
    public double[] Scores(int size, List<int> clusters, ReadOnlySpan<float> query, double alpha)
    {
        int per = size / childSize;
        var scores = new double[clusters.Count];
        var mn = new double[headSize];
        var mx = new double[headSize];
        for (int i = 0; i < clusters.Count; i++)
        {
            Array.Fill(mn, double.PositiveInfinity);
            Array.Fill(mx, double.NegativeInfinity);
            for (int c = clusters[i] * per; c < Math.Min(_min.Count, (clusters[i] + 1) * per); c++)
                for (int j = 0; j < headSize; j++)
                {
                    mn[j] = Math.Min(mn[j], _min[c][j]);
                    mx[j] = Math.Max(mx[j], _max[c][j]);
                }
            double s = 0;
            for (int j = 0; j < headSize; j++) s += query[j] * (alpha * mx[j] + (1 - alpha) * mn[j]);
            bool empty = true;
            for (int c = clusters[i] * per; c < Math.Min(_min.Count, (clusters[i] + 1) * per); c++) empty &= _valid[c] == 0;
            scores[i] = empty ? s - EmptyPenalty : s;
        }
        return scores;
    }
}
