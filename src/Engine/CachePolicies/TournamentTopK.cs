namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The approximate top-k both implementations share (as the bucketed top-k of SPU and TPU-KNN): the m candidates are
/// dealt into r buckets by a public stride (candidate j goes to bucket j mod r, at position j div r), and each bucket
/// keeps its best by a knockout tournament of ⌈log2(m / r)⌉ levels. It compares about m pairs in all, instead of the
/// m(m−1)/2 of exact ranks, and its rounds grow with log(m / r), not with m. Neighbouring candidates land in different
/// buckets, so a run of strong clusters is not thinned to one. Which candidate wins a bucket stays secret on shares;
/// the plaintext here decides exactly as the private comparisons do.
/// </summary>
public static class TournamentTopK
{
    /// <summary>The left (earlier) candidate of a pair wins when left − right + margin ≥ 0: near-ties go to the
    /// earlier one on both sides, far above the fixed-point error of the scores (16 units at 16 fraction bits).</summary>
    public const double TieMargin = 1.0 / 4096;

    /// <summary>Score of an empty bucket slot: below every cluster score, so it never wins against a candidate.</summary>
    public const double PadScore = -4096;

    /// <summary>Slots per bucket: a power of two at least ⌈m / r⌉.</summary>
    public static int Width(int m, int r)
    {
        if (r < 1 || r >= m) throw new ArgumentOutOfRangeException(nameof(r), $"{r} winners of {m} candidates: keeping all (or none) is decided publicly");
        int per = (m + r - 1) / r, w = 1;
        while (w < per) w <<= 1;
        return w;
    }

    /// <summary>The candidate (index into the list) at <paramref name="position"/> of <paramref name="bucket"/>, or −1
    /// for an empty slot.</summary>
    public static int Candidate(int m, int r, int bucket, int position) => position * r + bucket < m ? position * r + bucket : -1;

    /// <summary>Plaintext: the winner of every bucket (indices into <paramref name="scores"/>), in bucket order.</summary>
    public static int[] Winners(IReadOnlyList<double> scores, int r)
    {
        int m = scores.Count, width = Width(m, r);
        var winners = new int[r];
        var slot = new int[width];
        var value = new double[width];
        for (int b = 0; b < r; b++)
        {
            for (int p = 0; p < width; p++)
            {
                slot[p] = Candidate(m, r, b, p);
                value[p] = slot[p] < 0 ? PadScore : scores[slot[p]];
            }
            for (int w = width; w > 1; w /= 2)
                for (int p = 0; p < w / 2; p++)
                {
                    bool left = value[2 * p] - value[2 * p + 1] + TieMargin >= 0;
                    slot[p] = left ? slot[2 * p] : slot[2 * p + 1];
                    value[p] = left ? value[2 * p] : value[2 * p + 1];
                }
            winners[b] = slot[0];
        }
        return winners;
    }

    /// <summary>Plaintext: the ids kept out of <paramref name="scoreOf"/>'s items: the forced ones first (in the given
    /// order), then <paramref name="budget"/> − forced picked from <paramref name="middle"/>: all of them in list order
    /// when the budget covers them, else the bucket winners in bucket order. The private selection lays its one-hot
    /// rows out in the same order.</summary>
    public static List<int> PickWithForced(Func<int, double> scoreOf, IReadOnlyList<int> forced, IReadOnlyList<int> middle, int budget)
    {
        var rows = new List<int>(forced);
        int r = budget - forced.Count;
        if (r <= 0) return rows.Take(budget).ToList();
        if (r >= middle.Count) { rows.AddRange(middle); return rows; }
        rows.AddRange(Winners(middle.Select(scoreOf).ToList(), r).Select(i => middle[i]));
        return rows;
    }
}
