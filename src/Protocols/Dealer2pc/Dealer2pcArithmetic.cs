using PrivateInference.Kernels.Backends;
using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Dealer2pc;

internal sealed partial class Dealer2pcScheme
{
    /// <summary>Beaver: the dealer gives (a, b, c = ab); the parties open d = x - a, e = y - b in one round.</summary>
    public Share MulRaw(Share x, Share y)
    {
        int n = x.Length;
        if (IsDealer)
        {
            var s0 = DrawFrom(0, 3 * n);
            var s1 = DrawFrom(1, 2 * n);
            var c1 = new ulong[n];
            for (int i = 0; i < n; i++) c1[i] = (s0[i] + s1[i]) * (s0[n + i] + s1[n + i]) - s0[2 * n + i];
            Ch.SendPreprocessing(1, c1);
            IdleRound();
            return Share.Empty(n, 0);
        }
        if (!IsCompute) return Share.Empty(n, 0);
        var s = DrawFrom(Dealer, Me == 0 ? 3 * n : 2 * n);
        var c = Me == 0 ? Part(s, 2, n) : Ch.ReceiveUlongs(Dealer, n);
        var de = new ulong[2 * n];
        RingOps.Sub(x.C[0], s.AsSpan(0, n), de.AsSpan(0, n));
        RingOps.Sub(y.C[0], s.AsSpan(n, n), de.AsSpan(n, n));
        var open = Exchange(de);
        var d = open.AsSpan(0, n);
        var e = open.AsSpan(n, n);
        Ring.AccumulateBilinear(d, e, s.AsSpan(0, n), s.AsSpan(n, n), c, addDe: Me == 0);
        return One(c);
    }

    public Share MulTrunc(Share a, Share b, int bits) => Trunc(MulRaw(a, b), bits);

    public Share MulAddTrunc(Share a, Share b, Share addend, int bits)
    {
        var z = MulRaw(a, b);
        return Trunc(IsCompute ? z.Add(addend) : z, bits);
    }

    /// <summary>Beaver matrix triple (A, B, C = AB): open D = X - A and E = Y - B, then Z = D(E + B) + AE + C. The
    /// dealer sends no C for the outputs in <paramref name="discard"/> (left undefined).</summary>
    public Share MatMul(Share x, Share y, int batch, int m, int k, int n, bool bShared, int truncBits, bool[]? discard = null)
    {
        int la = batch * m * k, lb = bShared ? k * n : batch * k * n, lc = batch * m * n;
        if (discard is not null && discard.Length != lc) throw new ArgumentException("one discard flag per output");
        Share z;
        if (IsDealer)
        {
            var s0 = DrawFrom(0, la + lb + lc);
            var s1 = DrawFrom(1, la + lb);
            var a = new ulong[la];
            var b = new ulong[lb];
            RingOps.Add(s0.AsSpan(0, la), s1.AsSpan(0, la), a);
            RingOps.Add(s0.AsSpan(la, lb), s1.AsSpan(la, lb), b);
            var c = new ulong[lc];
            Ring.MatMul(a, b, c, batch, m, k, n, bShared);
            RingOps.Sub(c, s0.AsSpan(la + lb, lc), c);
            Ch.SendPreprocessing(1, discard is null ? c : PublicSubset.Kept(c, discard));
            IdleRound();
            z = Share.Empty(lc, 0);
        }
        else if (IsCompute)
        {
            var s = DrawFrom(Dealer, Me == 0 ? la + lb + lc : la + lb);
            var c = Me == 0 ? s.AsSpan(la + lb, lc).ToArray()
                : discard is null ? Ch.ReceiveUlongs(Dealer, lc) : PublicSubset.Unkept(Ch.ReceiveUlongs(Dealer, PublicSubset.Count(discard)), discard);
            var de = new ulong[la + lb];
            RingOps.Sub(x.C[0], s.AsSpan(0, la), de.AsSpan(0, la));
            RingOps.Sub(y.C[0], s.AsSpan(la, lb), de.AsSpan(la, lb));
            var open = Exchange(de);
            var d = open.AsSpan(0, la);
            var e = open.AsSpan(la, lb);
            var eb = new ulong[lb];
            if (Me == 0) RingOps.Add(e, s.AsSpan(la, lb), eb); else s.AsSpan(la, lb).CopyTo(eb);
            Ring.MatMulAccumulate2(d, eb, s.AsSpan(0, la), e, c, batch, m, k, n, bShared);
            z = One(c);
        }
        else z = Share.Empty(lc, 0);
        return truncBits > 0 ? Trunc(z, truncBits) : z;
    }

    private sealed class Prepared(int k, int n, ulong[]? open, ulong[] mask, ResidentOffsetRhs? resident = null) : PreparedRhs
    {
        public override int K => k;
        public override int N => n;
        /// <summary>E = W - B, public to P0 and P1 (null at the dealer).</summary>
        public ulong[]? Open { get; } = open;
        /// <summary>This party's share of B; the whole B at the dealer.</summary>
        public ulong[] Mask { get; } = mask;
        /// <summary>(E, B_i) as the ring backend keeps them for the session (on the device under cuda); compute parties only.</summary>
        public ResidentOffsetRhs? Resident { get; } = resident;
    }

    /// <summary>Opens E = W - B once; every later product with W reuses B's shares and E.</summary>
    public PreparedRhs Prepare(Share w, int k, int n)
    {
        int lb = k * n;
        if (IsDealer)
        {
            var b = DrawFrom(0, lb);
            RingOps.Add(b, DrawFrom(1, lb), b);
            IdleRound();
            return new Prepared(k, n, null, b, null);
        }
        if (!IsCompute) return new Prepared(k, n, null, [], null);
        var bi = DrawFrom(Dealer, lb);
        var e = new ulong[lb];
        RingOps.Sub(w.C[0], bi, e);
        var open = Exchange(e);
        return new Prepared(k, n, open, bi, Ring.PrepareOffsetRhs(open, bi, addOpen: Me == 0, k, n));
    }

    /// <summary>Per product only the activation side is opened: the dealer sends a fresh (A, C = AB) for the stored B.</summary>
    public Share MatMulPrepared(Share x, PreparedRhs prepared, int rows, int truncBits)
    {
        var p = (Prepared)prepared;
        return ProductWithStoredRhs(x, rows * p.K, rows * p.N, truncBits,
            (a, c) => Ring.MatMul(a, p.Mask, c, 1, rows, p.K, p.N, bShared: false),
            (d, a, c) => Ring.MatMulOffset(d, a, p.Resident!, c, rows));
    }

    /// <summary>
    /// A product X·W whose right side's Beaver mask B is stored (a prepared weight, a growing matrix): the dealer draws a
    /// fresh A and sends P1 its share of C = A·B (<paramref name="dealerProduct"/> computes A·B into C); P0 and P1 open
    /// D = X − A and add their local terms (<paramref name="partyTerms"/>: D, A_i, C_i) to C_i. One round; la and lc are
    /// the lengths of X and of the product.
    /// </summary>
    /// <param name="zeros">Positions where X is 0 in both shares (public): A is 0 there too, so D is 0 and is not sent.</param>
    /// <param name="discard">Outputs the caller throws away (public): the dealer sends no C for them, so they are
    /// undefined.</param>
    private Share ProductWithStoredRhs(Share x, int la, int lc, int truncBits, Action<ulong[], ulong[]> dealerProduct,
        Action<ulong[], ulong[], ulong[]> partyTerms, Growing? settle = null, bool[]? zeros = null, bool[]? discard = null)
    {
        if (zeros is not null && zeros.Length != la) throw new ArgumentException("one zero flag per element of the left operand");
        if (discard is not null && discard.Length != lc) throw new ArgumentException("one discard flag per output");
        Share z;
        if (IsDealer)
        {
            var s0 = DrawFrom(0, la + lc);
            var a = DrawFrom(1, la);
            RingOps.Add(a, s0.AsSpan(0, la), a);
            if (zeros is not null) for (int i = 0; i < la; i++) if (zeros[i]) a[i] = 0;
            var c = new ulong[lc];
            dealerProduct(a, c);
            RingOps.Sub(c, s0.AsSpan(la, lc), c);
            Ch.SendPreprocessing(1, discard is null ? c : PublicSubset.Kept(c, discard));
            IdleRound();
            z = Share.Empty(lc, 0);
        }
        else if (IsCompute)
        {
            var s = DrawFrom(Dealer, Me == 0 ? la + lc : la);
            var c = Me == 0 ? s.AsSpan(la, lc).ToArray()
                : discard is null ? Ch.ReceiveUlongs(Dealer, lc) : PublicSubset.Unkept(Ch.ReceiveUlongs(Dealer, PublicSubset.Count(discard)), discard);
            var a = s.AsSpan(0, la).ToArray();
            if (zeros is not null) for (int i = 0; i < la; i++) if (zeros[i]) a[i] = 0;
            int pending = settle?.PendingLength ?? 0;
            var full = new ulong[la];
            RingOps.Sub(x.C[0], a, full);
            // Only the positions that are not known zeros travel (D is 0 at the others).
            var compact = zeros is null ? full : PublicSubset.Kept(full, zeros);
            int sent = compact.Length;
            var d = new ulong[sent + pending];
            compact.CopyTo(d, 0);
            if (pending > 0) settle!.PendingShares().CopyTo(d, sent);
            var opened = Exchange(d);
            if (pending > 0) settle!.Settle(opened.AsSpan(sent));
            var dOpen = opened[..sent];
            partyTerms(zeros is null ? dOpen : PublicSubset.Unkept(dOpen, zeros), a, c);
            z = One(c);
        }
        else z = Share.Empty(lc, 0);
        return truncBits > 0 ? Trunc(z, truncBits) : z;
    }

    /// <summary>
    /// A growing right side. Rows from <see cref="OpenFrom"/> on are appended but not yet opened: <see cref="Open"/> holds
    /// this party's share of their E there, and the next product with the matrix opens them in its own exchange (so an
    /// append costs no round of its own: a KV cache's new row rides with the attention product's opening).
    /// </summary>
    private sealed class Growing(int batch, int rows, int cols, ulong[]? open, ulong[] mask, int openFrom) : GrowingRhs
    {
        public override int Batch => batch;
        public override int Rows => rows;
        public override int Cols => cols;
        /// <summary>E = W − B [batch, rows, cols], public to P0 and P1 (null at the dealer); shares of it from
        /// <see cref="OpenFrom"/> on.</summary>
        public ulong[]? Open { get; } = open;
        /// <summary>This party's share of B; the whole B at the dealer.</summary>
        public ulong[] Mask { get; } = mask;
        /// <summary>First row (per batch entry) whose E is still this party's share only.</summary>
        public int OpenFrom { get; private set; } = openFrom;

        public int PendingLength => batch * (rows - OpenFrom) * cols;

        /// <summary>This party's shares of the unopened rows' E, batch entry after batch entry.</summary>
        public ulong[] PendingShares()
        {
            int per = (rows - OpenFrom) * cols;
            var r = new ulong[batch * per];
            for (int b = 0; b < batch; b++) Open!.AsSpan((b * rows + OpenFrom) * cols, per).CopyTo(r.AsSpan(b * per));
            return r;
        }

        /// <summary>Writes the opened E of the pending rows back (the layout of <see cref="PendingShares"/>).</summary>
        public void Settle(ReadOnlySpan<ulong> opened)
        {
            int per = (rows - OpenFrom) * cols;
            for (int b = 0; b < batch; b++) opened.Slice(b * per, per).CopyTo(Open.AsSpan((b * rows + OpenFrom) * cols));
            OpenFrom = rows;
        }
    }

    /// <summary>Appends the new rows with fresh dealer masks B. Their E = W − B is not opened here: the next product with
    /// the matrix opens it together with its own operand (<see cref="ProductWithStoredRhs"/>); the earlier rows keep
    /// theirs.</summary>
    public GrowingRhs[] Grow(IReadOnlyList<GrowingPart> parts)
    {
        var masks = new ulong[parts.Count][];
        ulong[]? open = null;
        if (IsDealer)
        {
            for (int i = 0; i < parts.Count; i++)
            {
                int len = parts[i].Batch * parts[i].NewRows * parts[i].Cols;
                masks[i] = DrawFrom(0, len);
                RingOps.Add(masks[i], DrawFrom(1, len), masks[i]);
            }
        }
        else if (IsCompute)
        {
            var e = new ulong[parts.Sum(p => p.Batch * p.NewRows * p.Cols)];
            for (int i = 0, at = 0; i < parts.Count; i++)
            {
                masks[i] = DrawFrom(Dealer, parts[i].Batch * parts[i].NewRows * parts[i].Cols);
                RingOps.Sub(parts[i].Rows.C[0], masks[i], e.AsSpan(at, masks[i].Length));
                at += masks[i].Length;
            }
            open = e;
        }
        var result = new GrowingRhs[parts.Count];
        for (int i = 0, at = 0; i < parts.Count; i++)
        {
            var (rhs, _, batch, newRows, cols) = parts[i];
            var old = (Growing?)rhs;
            int oldRows = old?.Rows ?? 0, len = batch * newRows * cols;
            result[i] = new Growing(batch, oldRows + newRows, cols,
                open is null ? null : AppendRows(old?.Open, open.AsSpan(at, len).ToArray(), batch, oldRows, newRows, cols),
                masks[i] is { } m ? AppendRows(old?.Mask, m, batch, oldRows, newRows, cols) : [],
                old?.OpenFrom ?? 0);
            at += len;
        }
        return result;
    }

    /// <summary>[batch, oldRows, cols] followed, per batch entry, by [batch, newRows, cols].</summary>
    private static ulong[] AppendRows(ulong[]? old, ulong[] fresh, int batch, int oldRows, int newRows, int cols)
    {
        if (old is null || oldRows == 0) return fresh;
        var r = new ulong[batch * (oldRows + newRows) * cols];
        for (int b = 0; b < batch; b++)
        {
            old.AsSpan(b * oldRows * cols, oldRows * cols).CopyTo(r.AsSpan(b * (oldRows + newRows) * cols));
            fresh.AsSpan(b * newRows * cols, newRows * cols).CopyTo(r.AsSpan((b * (oldRows + newRows) + oldRows) * cols));
        }
        return r;
    }

    /// <summary>As <see cref="MatMul"/> with the right side's opening E = W − B and mask B taken from the growing
    /// operand: only D = X − A is opened, and the dealer sends C = A·B for the fresh A and the stored B.</summary>
    public Share MatMulGrowing(Share x, Share w, GrowingRhs rhs, int m, bool transposed, int truncBits, bool[]? zeros = null, bool[]? discard = null)
    {
        var g = (Growing)rhs;
        int batch = g.Batch, k = transposed ? g.Cols : g.Rows, n = transposed ? g.Rows : g.Cols;
        ulong[] Operand(ulong[] v)
        {
            if (!transposed) return v;
            var t = new ulong[v.Length];
            RingMatMul.Transpose(v, t, batch, g.Rows, g.Cols);
            return t;
        }
        return ProductWithStoredRhs(x, batch * m * k, batch * m * n, truncBits,
            (a, c) => Ring.MatMul(a, Operand(g.Mask), c, batch, m, k, n, bShared: false),
            (d, a, c) =>
            {
                var e = Operand(g.Open!);
                var mask = Operand(g.Mask);
                // P0 multiplies D by E + B_0 (E's own term rides along), P1 by B_1; the stored mask stays untouched.
                var eb = Me == 0 ? new ulong[mask.Length] : mask;
                if (Me == 0) RingOps.Add(mask, e, eb);
                Ring.MatMulAccumulate2(d, eb, a, e, c, batch, m, k, n, bShared: false);
            }, settle: g, zeros: zeros, discard: discard);
    }

    /// <summary>
    /// Exact truncation: open c = z + 2^62 + r (uniform) in one round and correct for the wrap with shares of r's top
    /// bit ρ; see docs/protocols.md. The shares of R = (r mod 2^63) &gt;&gt; d come from the parties' own mask shares,
    /// a_i = (r_i mod 2^63) &gt;&gt; d, less 2^(63−d)·ω for the wrap ω of r0 mod 2^63 + r1 mod 2^63 at 2^63, so the
    /// dealer sends P1 only ρ and ω, each needed modulo 2^(d+1) (it is multiplied by ±2^(63−d)): 2·⌈(d + 1)/8⌉ bytes
    /// per element instead of two words. The carry out of the two shares' low d bits is dropped (1 with probability
    /// about 1/2), so z − 2^(d−1) is truncated instead: the result is within 1.5 units of z/2^d and unbiased.
    /// </summary>
    public Share Trunc(Share x, int bits)
    {
        if (bits is < 0 or > 62) throw new ArgumentOutOfRangeException(nameof(bits), "truncation bits must be 0..62");
        if (bits == 0) return x;
        int n = x.Length, width = NarrowWords.Bytes(bits + 1);
        const ulong offset = 1UL << 62;
        if (IsDealer)
        {
            var s0 = DrawFrom(0, 3 * n);
            var r1 = DrawFrom(1, n);
            var rho = new ulong[n];
            var wrap = new ulong[n];
            for (int i = 0; i < n; i++)
            {
                rho[i] = ((s0[i] + r1[i]) >> 63) - s0[n + i];
                wrap[i] = MaskShares.Wrap(s0[i], r1[i], 64) - s0[2 * n + i];
            }
            var bytes = new byte[2L * n * width];
            NarrowWords.Write(rho, width, bytes);
            NarrowWords.Write(wrap, width, bytes.AsSpan(n * width));
            Ch.SendPreprocessing(1, bytes);
            IdleRound();
            return Share.Empty(n, 0);
        }
        if (!IsCompute) return Share.Empty(n, 0);
        var s = DrawFrom(Dealer, Me == 0 ? 3 * n : n);
        ulong[] rhoShare, wrapShare;
        if (Me == 0) { rhoShare = Part(s, 1, n); wrapShare = Part(s, 2, n); }
        else
        {
            var got = new byte[2L * n * width];
            Ch.Receive(Dealer, got);
            rhoShare = new ulong[n]; wrapShare = new ulong[n];
            NarrowWords.AddTo(got, width, rhoShare);
            NarrowWords.AddTo(got.AsSpan(n * width), width, wrapShare);
        }
        var lowShare = new ulong[n];
        for (int i = 0; i < n; i++) lowShare[i] = MaskShares.RShare(s[i], wrapShare[i], bits, 64);
        var masked = new ulong[n];
        RingOps.Add(x.C[0], s.AsSpan(0, n), masked);
        var c = Exchange(masked);
        RingOps.Add(c, offset - (1UL << (bits - 1)), c);
        return One(TruncShare(c, rhoShare, lowShare, bits, addPublic: Me == 0));
    }
}
