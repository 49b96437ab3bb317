namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The approximate top-k both implementations share (as the bucketed top-k of SPU and TPU-KNN): the m candidates are
/// dealt into r buckets by a public stride (candidate j goes to bucket j mod r, at position j div r), and each bucket
/// keeps its best, ties to the earlier candidate. Within a bucket of s = ⌈m / r⌉ every pair is compared at once, so a
/// level costs one comparison round whatever s is, and about m·(s − 1)/2 comparisons in all instead of the m(m−1)/2 of
/// exact ranks; the winner's one-hot entry is the product of its s − 1 wins (⌈log2(s − 1)⌉ product rounds). Neighbouring
/// candidates land in different buckets, so a run of strong clusters is not thinned to one. Which candidate wins stays
/// secret on shares; the plaintext here decides exactly as the private comparisons do (they compare the fixed-point
/// scores exactly, so both sides order the same way unless two scores lie within the fixed-point error).
/// </summary>
public static class TournamentTopK
{
    /// <summary>Positions per bucket: ⌈m / r⌉.</summary>
    public static int Width(int m, int r)
    {
        if (r < 1 || r >= m) throw new ArgumentOutOfRangeException(nameof(r), $"{r} winners of {m} candidates: keeping all (or none) is decided publicly");
        return (m + r - 1) / r;
    }

    /// <summary>The candidate (index into the list) at <paramref name="position"/> of <paramref name="bucket"/>, or −1
    /// for an empty position.</summary>
    public static int Candidate(int m, int r, int bucket, int position) => position * r + bucket < m ? position * r + bucket : -1;

    /// <summary>Plaintext: the winner of every bucket (indices into <paramref name="scores"/>), in bucket order: the
    /// first of its highest scores.</summary>
    public static int[] Winners(IReadOnlyList<double> scores, int r)
    {
        int m = scores.Count, width = Width(m, r);
        var winners = new int[r];
        for (int b = 0; b < r; b++)
        {
            int best = b;
            for (int p = 1; p < width; p++)
                if (Candidate(m, r, b, p) is int c and >= 0 && scores[c] > scores[best]) best = c;
            winners[b] = best;
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
