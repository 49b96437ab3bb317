namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// Per-channel min and max of the keys of one KV head's kept cache, per cluster, at the child granularity. The kept
/// cache only grows at its end, so only the newest child cluster changes when a token arrives; parent bounds are the
/// min/max of their children.
/// </summary>
public sealed class ClusterBounds(int headSize, int childSize)
{
    private readonly List<float[]> _min = [];
    private readonly List<float[]> _max = [];

    public int Length { get; private set; }

    public void Append(ReadOnlySpan<float> key)
    {
        if (Length % childSize == 0)
        {
            _min.Add(key.ToArray());
            _max.Add(key.ToArray());
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
            scores[i] = s;
        }
        return scores;
    }
}
