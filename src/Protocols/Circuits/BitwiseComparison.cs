using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// The bitwise core of the helper-assisted comparison (SecureNN's private compare, with the helper as dealer). P0 and
/// P1 know a public C; the helper knows a mask r, and P0 and P1 hold shares over Z_p of r's low k bits, which the
/// helper dealt (p the smallest prime ≥ k + 2, its elements sent packed: <see cref="DigitField"/>). For a flip β
/// known only to P0 and P1 they form, for every bit position i, shares of
///   β = 0: c_i = a_i − r_i + 1 + Σ_{j&gt;i} (a_j ⊕ r_j),   zero for some i exactly when r &gt; a;
///   β = 1: c_i = r_i − t_i + 1 + Σ_{j&gt;i} (t_j ⊕ r_j),   t = a + 1, zero for some i exactly when r ≤ a,
/// with a = C mod 2^k (every term is non-negative and at most k + 1 &lt; p, so nothing wraps). Each c_i is multiplied
/// by a fresh nonzero s_i, re-randomized by a fresh zero sharing and the k positions are shifted cyclically, all from the
/// randomness P0 and P1 share, so the helper that adds the two vectors learns only whether one entry is zero:
/// z = [r &gt; a] ⊕ β.
/// </summary>
internal sealed class BitwiseComparison(Channel channel, PairwiseKeys keys) : HelperProtocol(channel, keys)
{
    public static ulong LowMask(int k) => k >= 64 ? ulong.MaxValue : (1UL << k) - 1;

    /// <summary>Helper: deals Z_p shares of the low k bits of every r (P0's from its key, P1's sent: k elements each,
    /// packed).</summary>
    public void DealBits(ulong[] r, int k)
    {
        int n = r.Length, p = DigitField.ForWidth(k).P;
        var s0 = DrawModP(0, n * k, p);
        var s1 = new byte[n * k];
        for (int e = 0; e < n; e++)
            for (int i = 0; i < k; i++)
            {
                int bit = (int)((r[e] >> i) & 1);
                int v = bit - s0[e * k + i];
                s1[e * k + i] = (byte)(v < 0 ? v + p : v);
            }
        Ch.SendPreprocessing(1, DigitField.ForWidth(k).Pack(s1));
    }

    /// <summary>P0 and P1: this party's shares of the bits dealt by <see cref="DealBits"/>.</summary>
    public byte[] ReceiveBits(int n, int k)
    {
        var field = DigitField.ForWidth(k);
        if (Me == 0) return DrawModP(Helper, n * k, field.P);
        return ReceiveElements(Helper, n * k, field);
    }

    /// <summary>count packed elements of the field from a peer, reported to the channel's observer as elements.</summary>
    private byte[] ReceiveElements(int from, int count, DigitField field)
    {
        var packed = new byte[field.PackedBytes(count)];
        Ch.ReceiveEncoded(from, packed);
        var elements = new byte[count];
        field.Unpack(packed, elements);
        Ch.ReportElements(from, elements, field.P);
        return elements;
    }

    /// <summary>Elements whose common draws are expanded at a time (bounds the working set).</summary>
    private const int Block = 4096;

    /// <summary>P0 and P1: the masked per-bit vectors for every element, sent to the helper (one round). Per bit one
    /// common 64-bit draw gives its multiplier (in 1..p − 1) and its zero-sharing term from its two 32-bit halves, and per
    /// element one more a cyclic shift of the k positions, each by a multiply-shift (biases below 2^-26). A shift is
    /// enough: at most one entry is zero and the others are uniform over Z_p*, so a uniformly placed zero is all a
    /// shuffle could give.</summary>
    public void SendDigits(ulong[] c, byte[] rBits, int k, ReadOnlySpan<bool> flip)
    {
        int n = c.Length;
        var field = DigitField.ForWidth(k);
        int p = field.P;
        var mod = field.Mod;
        var d = new byte[n * k];
        var share = new int[k];
        int perElement = k + 1;
        var draws = new ulong[Math.Min(n, Block) * perElement];
        ulong low = LowMask(k);
        bool p0 = Me == 0;
        int one = p0 ? 1 : 0;
        using var common = Common();
        for (int e0 = 0; e0 < n; e0 += Block)
        {
            int cnt = Math.Min(Block, n - e0);
            common.Fill(draws.AsSpan(0, cnt * perElement));
            for (int e = e0; e < e0 + cnt; e++)
            {
                ulong a = c[e] & low;
                bool beta = flip[e];
                int rb = e * k;
                if (beta && a == low)
                {
                    // r ≤ 2^k − 1 always holds: one entry zero, the others one.
                    for (int i = 0; i < k; i++) share[i] = p0 && i > 0 ? 1 : 0;
                }
                else
                {
                    ulong q = beta ? a + 1 : a;
                    int suffix = 0;                     // this party's share of Σ_{j>i} (q_j ⊕ r_j), in [0, p)
                    for (int i = k - 1; i >= 0; i--)
                    {
                        int qi = (int)((q >> i) & 1), ri = rBits[rb + i];
                        int v = (beta ? ri + one - one * qi : p - ri + one + one * qi) + suffix;   // in [0, 3p)
                        if (v >= p) v -= p;
                        if (v >= p) v -= p;
                        share[i] = v;
                        // q_i ⊕ r_i: r_i when q_i = 0, else 1 − r_i.
                        suffix += qi == 0 ? ri : one + p - ri;
                        if (suffix >= p) suffix -= p;
                        if (suffix >= p) suffix -= p;
                    }
                }
                int at = (e - e0) * perElement;
                int shift = (int)(((draws[at + k] & 0xFFFFFFFF) * (ulong)k) >> 32);
                for (int i = 0; i < k; i++)
                {
                    ulong r = draws[at + i];
                    int mult = 1 + (int)(((r & 0xFFFFFFFF) * (ulong)(p - 1)) >> 32);
                    int zero = (int)(((r >> 32) * (ulong)p) >> 32);
                    int slot = i + shift;
                    if (slot >= k) slot -= k;
                    d[rb + slot] = mod[mult * share[i] + (p0 ? zero : p - zero)];
                }
            }
        }
        Ch.Send(Helper, field.Pack(d));
    }

    /// <summary>Helper: adds the two vectors of every element; true where one entry is zero (z = [r &gt; a] ⊕ β).</summary>
    public bool[] ReceiveZeros(int n, int k)
    {
        var field = DigitField.ForWidth(k);
        int p = field.P;
        var d0 = ReceiveElements(0, n * k, field);
        var d1 = ReceiveElements(1, n * k, field);
        var z = new bool[n];
        for (int e = 0; e < n; e++)
            for (int i = 0; i < k && !z[e]; i++)
            {
                int sum = d0[e * k + i] + d1[e * k + i];
                if (sum == 0 || sum == p) z[e] = true;
            }
        return z;
    }
}
