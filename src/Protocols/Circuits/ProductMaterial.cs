using System.Buffers.Binary;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// How many bytes each of the helper's mask terms for <see cref="TruncatedProducts"/> takes on the wire. The round's
/// results are wanted modulo 2^W (W = 64 unless the round is narrow), and a term that the parties multiply by a public
/// ±2^j matters only modulo 2^(W−j): P1's share of it is sent modulo 2^(8B) for the fewest bytes B covering those
/// bits (P0 keeps its full draw; the two sum to the term modulo 2^(8B), and the difference, a multiple of 2^(8B),
/// vanishes once multiplied). An operand opened in a ring of w bits with truncation d has κ = ±2^j, j = w − 1 − d,
/// so ρ needs W − j bits (d + 1 when w = W = 64), 2κ (a square's R·ρ) W − j − 1, κ_a κ_b (ρ_a ρ_b) W − j_a − j_b,
/// nothing when that is ≤ 0; the products of R's need W. R itself is not dealt, only the wrap ω that corrects the
/// parties' own a0 + a1, a bit times 2^j like ρ (<see cref="TruncatedProducts"/>). An exact operand (d = 0) has no ρ and no R of its
/// own: its mask is r (<see cref="TruncatedProducts"/>). A width of 0 means both parties take the term as 0.
/// </summary>
internal sealed class MaterialWidths
{
    private readonly int[][] _terms;
    private readonly int[] _len;
    private readonly int[] _rho, _big;

    /// <param name="reuse">Operands opened by an earlier round: no material of their own here, their truncation bits
    /// and ring those of that opening.</param>
    /// <param name="outWidth">W, the ring the round's results are wanted in.</param>
    public MaterialWidths(IReadOnlyList<(Pending A, Pending B)> pairs, IReadOnlyList<(Pending Square, Pending Factor)> cubes,
        IReadOnlyList<Pending> operands, IReadOnlyDictionary<Pending, int> at, IReadOnlyDictionary<Pending, SharedOpening>? reuse = null,
        int outWidth = 64)
    {
        int W = outWidth;
        bool Reused(Pending p) => reuse is not null && reuse.ContainsKey(p);
        int D(Pending p) => reuse is not null && reuse.TryGetValue(p, out var o) ? o.Bits : p.Bits;
        // j of κ = ±2^j; an exact operand has none (its ρ is 0), given as W so that every term with its ρ is empty.
        int J(Pending p)
        {
            int d = D(p);
            if (d == 0) return W;
            int w = reuse is not null && reuse.TryGetValue(p, out var o) ? o.Width : p.Width;
            return w - 1 - d;
        }
        int Full() => Bytes(W);
        int Rho(Pending p) => Bytes(W - J(p));
        int Sq(Pending p) => Bytes(W - J(p) - 1);
        int RhoRho(Pending a, Pending b, int extra) => D(a) == 0 || D(b) == 0 ? 0 : Bytes(W - J(a) - J(b) - extra);
        _rho = operands.Select(o => Reused(o) ? 0 : Rho(o)).ToArray();
        _big = operands.Select(o => Reused(o) || D(o) == 0 ? 0 : Rho(o)).ToArray();     // ω, a bit times 2^j like ρ
        _terms = new int[pairs.Count + cubes.Count][];
        _len = new int[_terms.Length];
        for (int q = 0; q < pairs.Count; q++)
        {
            var (a, b) = pairs[q];
            _len[q] = a.Raw.Length;
            _terms[q] = ReferenceEquals(a, b)
                ? [Full(), Sq(a)]                                               // R², R·ρ (×2κ)
                : [Full(), Rho(b), Rho(a), RhoRho(a, b, 0)];                    // R_aR_b, R_aρ_b, ρ_aR_b, ρ_aρ_b
        }
        for (int q = 0; q < cubes.Count; q++)
        {
            var (a, c) = cubes[q];
            _len[pairs.Count + q] = a.Raw.Length;
            // R_aR_c, R_aρ_c, ρ_aR_c, ρ_aρ_c, R_a², R_aρ_a, R_a²R_c, R_a²ρ_c, R_aρ_aR_c, R_aρ_aρ_c (×2κ_aκ_c)
            _terms[pairs.Count + q] = [Full(), Rho(c), Rho(a), RhoRho(a, c, 0), Full(), Sq(a), Full(), Rho(c), Sq(a), RhoRho(a, c, 1)];
        }
        long total = operands.Select((o, u) => (long)o.Raw.Length * (_rho[u] + _big[u])).Sum()
            + _terms.Select((t, q) => (long)_len[q] * t.Sum()).Sum();
        if (total > int.MaxValue) throw new ArgumentException("product material above 2 GiB in one round: split the batch");
        TotalBytes = (int)total;
    }

    /// <summary>Bytes of P1's material for the whole round.</summary>
    public int TotalBytes { get; }

    public int RhoBytes(int operand) => _rho[operand];
    public int BigBytes(int operand) => _big[operand];
    /// <summary>Byte widths of product q's mask terms, in the helper's order.</summary>
    public int[] Terms(int q) => _terms[q];
    public int Len(int q) => _len[q];

    private static int Bytes(int bits) => bits <= 0 ? 0 : Math.Min(8, (bits + 7) / 8);
}

/// <summary>The helper's side: P1's share v − s0 of each term, modulo 2^(8B), little-endian, B bytes a term.</summary>
internal sealed class MaterialWriter(int bytes)
{
    private int _at;
    public byte[] Bytes { get; } = new byte[bytes];

    public void Corrections(ReadOnlySpan<ulong> values, ReadOnlySpan<ulong> p0Shares, int width)
    {
        if (width == 0) return;
        // Whole 8-byte writes where they fit (each later one overwrites the spare high bytes); the buffer is filled in order.
        Span<byte> word = stackalloc byte[8];
        for (int i = 0; i < values.Length; i++)
        {
            if (_at + 8 <= Bytes.Length) BinaryPrimitives.WriteUInt64LittleEndian(Bytes.AsSpan(_at), values[i] - p0Shares[i]);
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(word, values[i] - p0Shares[i]);
                word[..width].CopyTo(Bytes.AsSpan(_at));
            }
            _at += width;
        }
    }
}

/// <summary>P1's side of <see cref="MaterialWriter"/>: the terms, zero-extended (a width of 0 reads as zeros).</summary>
internal sealed class MaterialReader(byte[] bytes)
{
    private int _at;

    public ulong[] Words(int n, int width)
    {
        var w = new ulong[n];
        if (width == 0) return w;
        ulong mask = width >= 8 ? ulong.MaxValue : (1UL << (8 * width)) - 1;
        Span<byte> word = stackalloc byte[8];
        for (int i = 0; i < n; i++)
        {
            if (_at + 8 <= bytes.Length) w[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(_at)) & mask;
            else
            {
                word.Clear();
                bytes.AsSpan(_at, width).CopyTo(word);
                w[i] = BinaryPrimitives.ReadUInt64LittleEndian(word);
            }
            _at += width;
        }
        return w;
    }
}
