using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// A value whose truncation is still due: Raw / 2^Bits (Bits = 0: exact), on the 2-out-of-2 form. A truncated operand
/// is opened in a ring of <paramref name="Width"/> bits (<see cref="TruncatedProducts"/>): Raw need be correct only
/// modulo 2^Width and must satisfy |Raw| &lt; 2^(Width − 2). An exact operand is opened in the ring its round's results
/// live in, so it must be correct modulo that ring's 2^w (its Width at least w).
/// </summary>
internal sealed record Pending(Share Raw, int Bits, int Width = 64);

/// <summary>
/// Fixed-point products in one round, the truncation of each operand folded into the product's opening. The exact
/// truncation opens c = z + 2^62 + r and ends in ⌊z / 2^d⌋ + e = P(c) − M with P(c) public and the mask
/// M = R − κ·ρ (R = (r mod 2^63) &gt;&gt; d and ρ = r's top bit from the helper, κ = ±2^(63−d) public after the opening).
/// Because M is known to the helper up to the public κ, the same opening serves as the Beaver opening of a product:
/// a'·b' = P_a P_b − P_a M_b − P_b M_a + M_a M_b, where M_a M_b = R_a R_b − κ_b R_a ρ_b − κ_a ρ_a R_b + κ_a κ_b ρ_a ρ_b
/// (a square: R² − 2κ R ρ + κ² ρ) needs only shares of the helper's mask products. So a chain of products costs one
/// round per level instead of two (product, then truncation); only its end is truncated on its own. Every operand
/// needs |Raw| &lt; 2^62, as for the truncation; the result is raw (its scale the sum of the operands' scales).
/// Helper material (to P1; P0's parts come from its key with the helper), in bytes, not words: a mask term multiplied
/// by a public ±2^j is needed only modulo 2^(64−j) (<see cref="MaterialWidths"/>), so ρ is sent in ⌈(d + 1)/8⌉ bytes,
/// R·ρ terms likewise, and ρ·ρ terms not at all when d_a + d_b ≤ 62; an exact operand (d = 0) is masked by r alone
/// (M = r, both shares from the keys), with no material. Per truncated operand 2·⌈(d + 1)/8⌉ bytes (ρ and ω below; 8 + ⌈(d + 1)/8⌉ when R was dealt, 16 before);
/// per product of two truncated operands about 14 (32), a square 11 (16). All of it depends on no data
/// (preprocessing); online each of P0 and P1 sends one word per operand element.
/// <para><b>R from the parties' own masks.</b> R is not dealt: with r = r0 + r1 (P0's and P1's draws from their keys with
/// the helper) and a_i = (r_i mod 2^(w−1)) &gt;&gt; d, (r mod 2^(w−1)) &gt;&gt; d = a0 + a1 + λ − 2^j·ω, ω the wrap of the two
/// low parts at 2^(w−1) and λ ∈ {0, 1} the carry out of their low d bits. The parties use R = a0 + a1 − 2^j·ω, so
/// only ω, a bit multiplied by 2^j like ρ, is dealt, in as few bytes as ρ (<see cref="MaterialWidths"/>), instead
/// of R in full words. The exact truncation was stochastic rounding (⌊z/2^d⌋ + e, e ∈ {0, 1} with mean z/2^d − ⌊z/2^d⌋);
/// the dropped λ (1 with probability about 1/2) would bias it by half a unit, so z − 2^(d−1) is truncated instead:
/// the result is z/2^d rounded stochastically then moved by λ − 1/2, within 1.5 units of z/2^d and unbiased (to
/// 2^-(d+1)). The helper computes its products of R's from the same R.</para>
/// <para><b>Narrow rings.</b> A truncated operand with |z| &lt; 2^(w−2) may be opened in Z_2^w: c = z + 2^(w−2) + r
/// modulo 2^w, sent in ⌈w/8⌉ bytes (<see cref="NarrowWords"/>), P(c) = (c mod 2^(w−1)) &gt;&gt; d + c_(w−1)·2^(w−1−d)
/// − 2^(w−2−d), R = (r mod 2^(w−1)) &gt;&gt; d, ρ = r's bit w − 1, κ = ±2^(w−1−d); P(c) − M is ⌊z/2^d⌋ + e over the
/// integers, so the result is right in whatever ring the helper's material is dealt in. A round's results are
/// wanted modulo 2^W (<c>outWidth</c>, W ≤ 64): every term is dealt modulo 2^W, or 2^(W − j) when it is multiplied
/// by ±2^j, which makes a chain of products on small values (exp's polynomial and squarings) cheaper in every byte,
/// opened words and material alike. The last round of such a chain asks for W = 64 again: a truncated operand lifts
/// for free (its material in full words).</para>
/// </summary>
internal sealed class TruncatedProducts(Channel channel, PairwiseKeys keys) : HelperProtocol(channel, keys)
{
    /// <summary>The raw products of the pairs, all in one round, and the truncated operands (shares of Raw / 2^Bits
    /// within 1.5 units, unbiased), which come for free from the same opening.</summary>
    public (Share[] Products, Dictionary<Pending, Share> Truncated) Run(IReadOnlyList<(Pending A, Pending B)> pairs, int outWidth = 64)
    {
        var result = new RoundSteps.Outcome<(Share[], Dictionary<Pending, Share>)>();
        RoundSteps.Run(Ch, RunSteps(pairs, [], result, outWidth: outWidth));
        return result.Value;
    }

    /// <summary>
    /// As <see cref="Run"/>, as one round step, with products of three operands a'²·c' as well (<paramref name="cubes"/>,
    /// after the pairs' products): a square times a factor in the same round, for the clamp of exp applied to its
    /// first squaring. a'²c' = P_a²P_c − P_a²M_c − 2P_aP_c M_a + 2P_a M_aM_c + P_c M_a² − M_a²M_c, so the helper deals
    /// ten mask products per element (R_aR_c, R_aρ_c, ρ_aR_c, ρ_aρ_c, R_a², R_aρ_a, R_a²R_c, R_a²ρ_c, R_aρ_aR_c,
    /// R_aρ_aρ_c). The helper never waits on data here.
    /// </summary>
    /// <param name="shared">Operands whose opening later use reuses (<see cref="SharedOpening"/>): each is filled with
    /// what P0 and P1 computed from the opening, or the helper's masks.</param>
    /// <param name="reuse">Operands opened by an earlier round (the opening it filled): not opened again; each stands
    /// for that round's truncated operand P(c) − M, as an exact factor of products (not of squares or cubes).</param>
    /// <param name="outWidth">The ring width W (16..64 bits) the products and truncated operands are wanted in: right
    /// modulo 2^W only (see the narrow rings above).</param>
    public IEnumerable<int> RunSteps(IReadOnlyList<(Pending A, Pending B)> pairs, IReadOnlyList<(Pending Square, Pending Factor)> cubes,
        RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)> result, IReadOnlyDictionary<Pending, SharedOpening>? shared = null,
        IReadOnlyDictionary<Pending, SharedOpening>? reuse = null, int outWidth = 64)
    {
        if (outWidth is < 16 or > 64) throw new ArgumentOutOfRangeException(nameof(outWidth), "a round's ring width must be 16..64 bits");
        if (reuse is not null && (pairs.Any(p => Square(p) && reuse.ContainsKey(p.A)) || cubes.Any(c => reuse.ContainsKey(c.Square) || reuse.ContainsKey(c.Factor))))
            throw new ArgumentException("a reused opening is a factor of products only, not squared or cubed");
        if (reuse is not null && shared is not null && reuse.Keys.Any(shared.ContainsKey))
            throw new ArgumentException("an operand is either opened here or reused, not both");
        var operands = new List<Pending>();
        var at = new Dictionary<Pending, int>(ReferenceEqualityComparer.Instance);
        foreach (var (a, b) in pairs.Concat(cubes))
        {
            if (a.Raw.Length != b.Raw.Length) throw new ArgumentException("a product's operands must have the same length");
            foreach (var o in new[] { a, b })
            {
                if (o.Width is < 16 or > 64) throw new ArgumentOutOfRangeException(nameof(pairs), "an opening's ring width must be 16..64 bits");
                if (o.Bits < 0 || o.Bits > o.Width - 2) throw new ArgumentOutOfRangeException(nameof(pairs), $"truncation bits must be 0..{o.Width - 2} in a ring of {o.Width} bits");
                if (o.Bits == 0 && o.Width < outWidth && !Reused(reuse, o))
                    throw new ArgumentException($"an exact operand right modulo 2^{o.Width} cannot give results modulo 2^{outWidth}");
                if (at.TryAdd(o, operands.Count)) operands.Add(o);
            }
        }
        if (cubes.Any(c => ReferenceEquals(c.Square, c.Factor))) throw new ArgumentException("a cube's factor must differ from its square");
        if (shared is not null && shared.Keys.Any(o => !at.ContainsKey(o))) throw new ArgumentException("a shared opening must be of an operand of these products");
        if (reuse is not null && reuse.Keys.Any(o => !at.ContainsKey(o))) throw new ArgumentException("a reused opening must be of an operand of these products");
        if (reuse is not null && reuse.Values.Any(o => o.OutWidth < outWidth))
            throw new ArgumentException("a reused opening's shares are right only in its own round's ring, no wider one");
        var widths = new MaterialWidths(pairs, cubes, operands, at, reuse, outWidth);
        if (IsCompute) return ComputeSteps(pairs, cubes, operands, at, result, shared, reuse, widths, outWidth);
        return HelperOrIdle(pairs, cubes, operands, at, result, shared, reuse, widths, outWidth);
    }

    /// <summary>The ring an operand is opened in: its own width when truncated, the round's when exact.</summary>
    private static int OpenWidth(Pending o, int outWidth) => o.Bits == 0 ? outWidth : o.Width;

    private const int CubeTerms = 10;

    private static bool Reused(IReadOnlyDictionary<Pending, SharedOpening>? reuse, Pending o) => reuse is not null && reuse.ContainsKey(o);

    private IEnumerable<int> HelperOrIdle(IReadOnlyList<(Pending A, Pending B)> pairs, IReadOnlyList<(Pending Square, Pending Factor)> cubes,
        List<Pending> operands, Dictionary<Pending, int> at, RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)> result,
        IReadOnlyDictionary<Pending, SharedOpening>? shared, IReadOnlyDictionary<Pending, SharedOpening>? reuse, MaterialWidths widths, int outWidth)
    {
        var none = new Dictionary<Pending, Share>(ReferenceEqualityComparer.Instance);
        foreach (var o in operands) none[o] = None(o.Raw.Length);
        result.Value = ([.. pairs.Select(p => None(p.A.Raw.Length)), .. cubes.Select(c => None(c.Square.Raw.Length))], none);
        if (!IsHelper) yield break;
        RunHelper(pairs, cubes, operands, at, shared, reuse, widths, outWidth);
        yield return 1;
    }

    private IEnumerable<int> ComputeSteps(IReadOnlyList<(Pending A, Pending B)> pairs, IReadOnlyList<(Pending Square, Pending Factor)> cubes,
        List<Pending> operands, Dictionary<Pending, int> at, RoundSteps.Outcome<(Share[] Products, Dictionary<Pending, Share> Truncated)> result,
        IReadOnlyDictionary<Pending, SharedOpening>? shared, IReadOnlyDictionary<Pending, SharedOpening>? reuse, MaterialWidths widths, int outWidth)
    {
        // Draws in the helper's order: per operand (r, ρ, ω) at P0 and r at P1; per product its mask terms at P0.
        var r = new ulong[operands.Count][];
        var rho = new ulong[operands.Count][];
        var big = new ulong[operands.Count][];
        var terms = new ulong[pairs.Count + cubes.Count][];
        for (int u = 0; u < operands.Count; u++)
        {
            int n = operands[u].Raw.Length;
            if (Reused(reuse, operands[u])) continue;
            if (Me == 0)
            {
                var s = Draw(Helper, 3 * n);
                r[u] = s[..n]; rho[u] = s[n..(2 * n)]; big[u] = s[(2 * n)..];
            }
            else r[u] = Draw(Helper, n);
        }
        for (int q = 0; q < terms.Length; q++)
        {
            if (Me != 0) continue;
            int len = widths.Len(q);
            terms[q] = Draw(Helper, widths.Terms(q).Length * len);
            // A term of width 0 is 0 for both (P0's draw would survive a coefficient that does not vanish, 2^63 on an exact operand's ρ).
            for (int j = 0; j < widths.Terms(q).Length; j++)
                if (widths.Terms(q)[j] == 0) Array.Clear(terms[q], j * len, len);
        }
        if (Me == 1)
        {
            var got = new byte[widths.TotalBytes];
            Ch.Receive(Helper, got);
            var read = new MaterialReader(got);
            for (int u = 0; u < operands.Count; u++)
            {
                if (Reused(reuse, operands[u])) continue;
                int n = operands[u].Raw.Length;
                rho[u] = read.Words(n, widths.RhoBytes(u));
                big[u] = read.Words(n, widths.BigBytes(u));
            }
            for (int q = 0; q < terms.Length; q++)
            {
                int len = widths.Len(q);
                var t = new ulong[widths.Terms(q).Length * len];
                for (int j = 0; j < widths.Terms(q).Length; j++) read.Words(len, widths.Terms(q)[j]).CopyTo(t, j * len);
                terms[q] = t;
            }
        }
        // An exact operand is masked by r alone: M = r, ρ = 0 (its terms' widths are 0, so neither share matters there).
        // A truncated one: this party's share of R = a_me − 2^j·ω, a_me from its own share of r.
        for (int u = 0; u < operands.Count; u++)
        {
            if (Reused(reuse, operands[u])) continue;
            if (operands[u].Bits == 0) { big[u] = r[u]; rho[u] = new ulong[r[u].Length]; continue; }
            int d = operands[u].Bits, w = operands[u].Width;
            for (int i = 0; i < r[u].Length; i++) big[u][i] = MaskShares.RShare(r[u][i], big[u][i], d, w);
        }

        // The opened operands, in order (a reused one takes no place: it was opened before), each in its ring.
        var offsets = new int[operands.Count];
        var segments = new List<(int Length, int Bits)>();
        int total = 0;
        for (int u = 0; u < operands.Count; u++)
        {
            offsets[u] = total;
            if (Reused(reuse, operands[u])) continue;
            total += operands[u].Raw.Length;
            segments.Add((operands[u].Raw.Length, OpenWidth(operands[u], outWidth)));
        }
        var masked = new ulong[total];
        for (int u = 0; u < operands.Count; u++)
        {
            if (Reused(reuse, operands[u])) continue;
            var z = operands[u].Raw.C[0];
            for (int i = 0; i < z.Length; i++) masked[offsets[u] + i] = z[i] + r[u][i];
        }
        SendOpen(masked, segments);
        yield return 1;
        var c = ReceiveOpen(masked, segments);
        if (shared is not null)
            foreach (var (operand, opening) in shared)
            {
                opening.Masked = c.AsSpan(offsets[at[operand]], operand.Raw.Length).ToArray();
                (opening.Width, opening.OutWidth) = (OpenWidth(operand, outWidth), outWidth);
            }

        // Per operand: P(c) (public), κ (public) and this party's share of M = R − κρ.
        var pub = new ulong[operands.Count][];
        var kappa = new ulong[operands.Count][];
        var m = new ulong[operands.Count][];
        var truncated = new Dictionary<Pending, Share>(ReferenceEqualityComparer.Instance);
        for (int u = 0; u < operands.Count; u++)
        {
            int n = operands[u].Raw.Length, d = operands[u].Bits, o = offsets[u];
            if (reuse is not null && reuse.TryGetValue(operands[u], out var before))
            {
                pub[u] = before.Public!; kappa[u] = before.Kappa!; m[u] = before.MShare!;
                continue;
            }
            pub[u] = new ulong[n]; kappa[u] = new ulong[n]; m[u] = new ulong[n];
            var own = new ulong[n];
            if (d == 0)
            {
                // Exact: c − r is z modulo the ring it was opened in (the round's), no κ.
                for (int i = 0; i < n; i++)
                {
                    pub[u][i] = c[o + i];
                    m[u][i] = big[u][i];
                    own[i] = (Me == 0 ? pub[u][i] : 0) - m[u][i];
                }
            }
            else
            {
                int w = operands[u].Width;
                ulong ring = NarrowWords.Mask(w), low = NarrowWords.Mask(w - 1), top = 1UL << (w - 1 - d), off = 1UL << (w - 2 - d);
                for (int i = 0; i < n; i++)
                {
                    // z − 2^(d−1) is truncated (a public shift of c): the dropped carry λ adds 1/2 on average, so the
                    // result stays unbiased (below).
                    ulong ci = (c[o + i] + (1UL << (w - 2)) - (1UL << (d - 1))) & ring, cm = ci >> (w - 1);
                    pub[u][i] = ((ci & low) >> d) + cm * top - off;
                    kappa[u][i] = cm == 0 ? top : 0 - top;
                    m[u][i] = big[u][i] - kappa[u][i] * rho[u][i];
                    own[i] = (Me == 0 ? pub[u][i] : 0) - m[u][i];
                }
            }
            truncated[operands[u]] = One(own);
            if (shared is not null && shared.TryGetValue(operands[u], out var keep))
                (keep.Bits, keep.Public, keep.Kappa, keep.MShare) = (d, pub[u], kappa[u], m[u]);
        }
        var products = new Share[pairs.Count + cubes.Count];
        for (int q = 0; q < pairs.Count; q++)
        {
            int a = at[pairs[q].A], b = at[pairs[q].B], n = pairs[q].A.Raw.Length;
            var t = terms[q];
            var z = new ulong[n];
            bool sq = Square(pairs[q]);
            for (int i = 0; i < n; i++)
            {
                ulong ka = kappa[a][i], kb = kappa[b][i];
                ulong mm = sq
                    ? t[i] - 2 * ka * t[n + i] + ka * ka * rho[a][i]
                    : t[i] - kb * t[n + i] - ka * t[2 * n + i] + ka * kb * t[3 * n + i];
                ulong v = mm - pub[a][i] * m[b][i] - pub[b][i] * m[a][i];
                if (Me == 0) v += pub[a][i] * pub[b][i];
                z[i] = v;
            }
            products[q] = One(z);
        }
        for (int q = 0; q < cubes.Count; q++)
        {
            int a = at[cubes[q].Square], f = at[cubes[q].Factor], n = cubes[q].Square.Raw.Length;
            var t = terms[pairs.Count + q];
            var z = new ulong[n];
            for (int i = 0; i < n; i++)
            {
                ulong ka = kappa[a][i], kc = kappa[f][i], pa = pub[a][i], pc = pub[f][i];
                ulong t0 = t[i], t1 = t[n + i], t2 = t[2 * n + i], t3 = t[3 * n + i], t4 = t[4 * n + i], t5 = t[5 * n + i];
                ulong t6 = t[6 * n + i], t7 = t[7 * n + i], t8 = t[8 * n + i], t9 = t[9 * n + i];
                ulong mac = t0 - kc * t1 - ka * t2 + ka * kc * t3;                                   // M_a M_c
                ulong maa = t4 - 2 * ka * t5 + ka * ka * rho[a][i];                                  // M_a²
                ulong maac = t6 - kc * t7 - 2 * ka * t8 + 2 * ka * kc * t9 + ka * ka * t2 - ka * ka * kc * t3;   // M_a² M_c
                ulong v = 0 - pa * pa * m[f][i] - 2 * pa * pc * m[a][i] + 2 * pa * mac + pc * maa - maac;
                if (Me == 0) v += pa * pa * pc;
                z[i] = v;
            }
            products[pairs.Count + q] = One(z);
        }
        result.Value = (products, truncated);
    }

    private static bool Square((Pending A, Pending B) p) => ReferenceEquals(p.A, p.B);

    private void RunHelper(IReadOnlyList<(Pending A, Pending B)> pairs, IReadOnlyList<(Pending Square, Pending Factor)> cubes,
        List<Pending> operands, Dictionary<Pending, int> at, IReadOnlyDictionary<Pending, SharedOpening>? shared,
        IReadOnlyDictionary<Pending, SharedOpening>? reuse, MaterialWidths widths, int outWidth)
    {
        var write = new MaterialWriter(widths.TotalBytes);
        var rho = new ulong[operands.Count][];
        var big = new ulong[operands.Count][];
        for (int u = 0; u < operands.Count; u++)
        {
            if (reuse is not null && reuse.TryGetValue(operands[u], out var before))
            {
                (rho[u], big[u]) = (before.Rho!, before.R!);
                continue;
            }
            int n = operands[u].Raw.Length, d = operands[u].Bits, w = OpenWidth(operands[u], outWidth);
            var s0 = Draw(0, 3 * n);
            var r = Draw(1, n);
            rho[u] = new ulong[n]; big[u] = new ulong[n];
            var mask = shared is not null && shared.TryGetValue(operands[u], out var opening) ? (opening.Mask = new ulong[n]) : null;
            var wrap = new ulong[n];
            for (int i = 0; i < n; i++)
            {
                ulong ri = r[i] + s0[i];
                if (mask is not null) mask[i] = ri;
                // An exact operand: M = r, shared by the keys alone (R = r, ρ = 0).
                if (d == 0) { big[u][i] = ri; continue; }
                wrap[i] = MaskShares.Wrap(s0[i], r[i], w);
                rho[u][i] = (ri >> (w - 1)) & 1;
                big[u][i] = MaskShares.RShare(s0[i], wrap[i], d, w) + MaskShares.RShare(r[i], 0, d, w);
            }
            write.Corrections(rho[u], s0.AsSpan(n, n), widths.RhoBytes(u));
            write.Corrections(wrap, s0.AsSpan(2 * n, n), widths.BigBytes(u));
            if (shared is not null && shared.TryGetValue(operands[u], out var keep))
                (keep.Bits, keep.Width, keep.OutWidth, keep.R, keep.Rho) = (d, w, outWidth, big[u], rho[u]);
        }
        var v = new ulong[CubeTerms];
        for (int q = 0; q < pairs.Count + cubes.Count; q++)
        {
            int n = widths.Len(q), count = widths.Terms(q).Length;
            var s0 = Draw(0, count * n);
            var values = new ulong[count * n];
            for (int i = 0; i < n; i++)
            {
                if (q < pairs.Count)
                {
                    int a = at[pairs[q].A], b = at[pairs[q].B];
                    if (Square(pairs[q])) { v[0] = big[a][i] * big[a][i]; v[1] = big[a][i] * rho[a][i]; }
                    else { v[0] = big[a][i] * big[b][i]; v[1] = big[a][i] * rho[b][i]; v[2] = rho[a][i] * big[b][i]; v[3] = rho[a][i] * rho[b][i]; }
                }
                else
                {
                    var (sqOp, factor) = cubes[q - pairs.Count];
                    int a = at[sqOp], f = at[factor];
                    ulong ra = big[a][i], pa = rho[a][i], rc = big[f][i], pc = rho[f][i];
                    v[0] = ra * rc; v[1] = ra * pc; v[2] = pa * rc; v[3] = pa * pc; v[4] = ra * ra;
                    v[5] = ra * pa; v[6] = ra * ra * rc; v[7] = ra * ra * pc; v[8] = ra * pa * rc; v[9] = ra * pa * pc;
                }
                for (int j = 0; j < count; j++) values[j * n + i] = v[j];
            }
            for (int j = 0; j < count; j++) write.Corrections(values.AsSpan(j * n, n), s0.AsSpan(j * n, n), widths.Terms(q)[j]);
        }
        Ch.SendPreprocessing(1, write.Bytes);
    }
}
