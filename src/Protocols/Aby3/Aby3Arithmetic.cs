using PrivateInference.Kernels.Backends;
using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Aby3;

internal sealed partial class Aby3Scheme
{
    /// <summary>z_i = x_i y_i + x_i y_i+1 + x_i+1 y_i + zero share, then one resharing message to P_i-1.</summary>
    public Share MulRaw(Share a, Share b) => IsCompute ? Reshare(LocalProduct(a, b)) : Share.Empty(a.Length, 0);

    public Share MulTrunc(Share a, Share b, int bits) =>
        IsCompute ? TruncFrom3of3(LocalProduct(a, b), bits) : TruncFrom3of3(null, a.Length, bits);

    public Share MulAddTrunc(Share a, Share b, Share addend, int bits)
    {
        if (!IsCompute) return TruncFrom3of3(null, a.Length, bits);
        var z = LocalProduct(a, b);
        RingOps.Add(z, addend.C[0], z);     // C_i at P_i: the three terms sum to the addend
        return TruncFrom3of3(z, bits);
    }

    private ulong[] LocalProduct(Share a, Share b)
    {
        int n = a.Length;
        var z = ZeroShare(n, boolean: false);
        Ring.MulCrossTerms(a.C[0], a.C[1], b.C[0], b.C[1], z);
        return z;
    }

    public Share MatMul(Share a, Share b, int batch, int m, int k, int n, bool bShared, int truncBits, bool[]? discard = null)
    {
        int outLen = batch * m * n;
        if (!IsCompute) return truncBits > 0 ? TruncFrom3of3(null, outLen, truncBits) : Share.Empty(outLen, 0);
        var z = ZeroShare(outLen, boolean: false);
        Ring.MatMulCrossTerms(a.C[0], a.C[1], b.C[0], b.C[1], z, batch, m, k, n, bShared);
        return truncBits > 0 ? TruncFrom3of3(z, outLen, truncBits) : Reshare(z);
    }

    private sealed class Growing(int batch, int rows, int cols) : GrowingRhs
    {
        public override int Batch => batch;
        public override int Rows => rows;
        public override int Cols => cols;
    }

    /// <summary>Nothing to keep: a 3pc product already sends only output-sized data.</summary>
    public GrowingRhs[] Grow(IReadOnlyList<GrowingPart> parts) =>
        parts.Select(p => (GrowingRhs)new Growing(p.Batch, (p.Rhs?.Rows ?? 0) + p.NewRows, p.Cols)).ToArray();

    /// <summary>The zeros and the discarded outputs change nothing here: a replicated product opens no operand and
    /// reshares every output.</summary>
    public Share MatMulGrowing(Share a, Share w, GrowingRhs rhs, int m, bool transposed, int truncBits, bool[]? zeros = null, bool[]? discard = null)
    {
        int batch = rhs.Batch, rows = rhs.Rows, cols = rhs.Cols;
        if (!transposed) return MatMul(a, w, batch, m, rows, cols, false, truncBits);
        var wt = w.Map((x, d) => RingMatMul.Transpose(x, d, batch, rows, cols));
        return MatMul(a, wt, batch, m, cols, rows, false, truncBits);
    }

    private sealed class Prepared(int k, int n, ResidentSplitRhs? resident) : PreparedRhs
    {
        public override int K => k;
        public override int N => n;
        /// <summary>This compute party's components as the ring backend keeps them (on the device under cuda); null elsewhere.</summary>
        public ResidentSplitRhs? Resident { get; } = resident;
    }

    /// <summary>
    /// No messages: the product already sends only output-sized data. The weight is handed to the ring backend once,
    /// so a GPU keeps it on the device for the session. Every party prepares, so all take the same path.
    /// </summary>
    public PreparedRhs Prepare(Share w, int k, int n) =>
        new Prepared(k, n, IsCompute ? Ring.PrepareSplitRhs(w.C[0], w.C[1], k, n) : null);

    public Share MatMulPrepared(Share a, PreparedRhs prepared, int rows, int truncBits)
    {
        var p = (Prepared)prepared;
        // An endpoint without shares takes part in the truncation's rounds only (shapes).
        if (!IsCompute || p.Resident is null) return MatMul(a, Share.Empty(p.K * p.N, 0), 1, rows, p.K, p.N, true, truncBits);
        int outLen = rows * p.N;
        var z = ZeroShare(outLen, boolean: false);
        Ring.MatMulCrossTerms(a.C[0], a.C[1], p.Resident, z, rows);
        return truncBits > 0 ? TruncFrom3of3(z, outLen, truncBits) : Reshare(z);
    }

    public Share Trunc(Share x, int bits)
    {
        if (!IsCompute) return TruncFrom3of3(null, x.Length, bits);
        var z = ZeroShare(x.Length, boolean: false);
        RingOps.Add(z, x.C[0], z);
        return TruncFrom3of3(z, x.Length, bits);
    }

    private Share TruncFrom3of3(ulong[] z, int bits) => TruncFrom3of3(z, z.Length, bits);

    /// <summary>
    /// Exact truncation of a 3-out-of-3 sharing z (each term masked by a zero share), one party helping the other
    /// two as in the 2pc dealer protocol. The elements are cut in three parts and part h has helper P_h, with
    /// P_h+1 and P_h+2 computing, so every party helps for a third (the helper sends twice what the others do);
    /// below 1536 elements P2 helps with all of them.
    /// Round 1: the two computing parties swap their terms; the helper sends them its term plus a mask r and the
    /// second one the shares of r's truncation material; both learn c = z + 2^62 + r, uniform since r is.
    /// Round 2: they turn their additive result shares into the missing replicated component; the two others come
    /// from pair keys with the helper. All of a round's parts for one peer travel as one message.
    /// </summary>
    private Share TruncFrom3of3(ulong[]? z, int n, int d)
    {
        if (!IsCompute) return Share.Empty(n, 0);
        const ulong offset = 1UL << 62;
        var off = new int[4];
        for (int h = 0; h <= 3; h++) off[h] = PartStart(n, h, 2);
        var out0 = new ulong[n];
        var out1 = new ulong[n];
        var send = new List<ulong[]>[3];
        var expect = new int[3];
        for (int q = 0; q < 3; q++) send[q] = [];
        // Per part: role 0 helper, 1 first, 2 second. State kept for round 2.
        var s0 = new ulong[3][];
        var c2 = new ulong[3][];
        long preprocessing = 0;          // the helper's correction words travel with its masked term
        for (int h = 0; h < 3; h++)
        {
            int len = off[h + 1] - off[h];
            if (len == 0) continue;
            int role = (Me - h + 3) % 3, first = (h + 1) % 3, second = (h + 2) % 3;
            var zh = z.AsSpan(off[h], len);
            if (role == 0)
            {
                var r = Draw(Own, len);
                using (var st = Keys.Stream(first)) s0[h] = Draw(st, 3 * len);
                using (var st = Keys.Stream(second)) c2[h] = Draw(st, len);
                var (msb, low) = TruncMaterial(r, d);
                var a1 = new ulong[len];
                var b1 = new ulong[len];
                RingOps.Sub(msb, s0[h].AsSpan(0, len), a1);
                RingOps.Sub(low, s0[h].AsSpan(len, len), b1);
                var masked = new ulong[len];
                RingOps.Add(zh, r, masked);
                send[first].Add(masked);
                send[second].Add(masked);
                send[second].Add(a1);
                send[second].Add(b1);
                preprocessing += 2L * len * sizeof(ulong);
                c2[h].CopyTo(out0, off[h]);
                s0[h].AsSpan(2 * len, len).CopyTo(out1.AsSpan(off[h]));
            }
            else if (role == 1)
            {
                using (var st = Keys.Stream(h)) s0[h] = Draw(st, 3 * len);
                send[second].Add(zh.ToArray());
                expect[second] += len;
                expect[h] += len;
            }
            else
            {
                using (var st = Keys.Stream(h)) c2[h] = Draw(st, len);
                send[first].Add(zh.ToArray());
                expect[first] += len;
                expect[h] += 3 * len;
            }
        }
        var got = Exchange(send, expect);
        Ch.MarkPreprocessing(preprocessing);
        Ch.Round();
        var pos = new int[3];
        var y = new ulong[3][];
        for (int q = 0; q < 3; q++) send[q] = [];
        for (int h = 0; h < 3; h++)
        {
            int len = off[h + 1] - off[h];
            if (len == 0) continue;
            int role = (Me - h + 3) % 3, first = (h + 1) % 3, second = (h + 2) % 3;
            if (role == 0) continue;
            int other = role == 1 ? second : first;
            var c = new ulong[len];
            RingOps.Add(z.AsSpan(off[h], len), got[other].AsSpan(pos[other], len), c);
            pos[other] += len;
            RingOps.Add(c, got[h].AsSpan(pos[h], len), c);
            RingOps.Add(c, offset, c);
            if (role == 1)
            {
                pos[h] += len;
                y[h] = TruncShare(c, Part(s0[h], 0, len), Part(s0[h], 1, len), d, addPublic: true);
                RingOps.Sub(y[h], s0[h].AsSpan(2 * len, len), y[h]);
            }
            else
            {
                y[h] = TruncShare(c, got[h].AsSpan(pos[h] + len, len).ToArray(), got[h].AsSpan(pos[h] + 2 * len, len).ToArray(), d, addPublic: false);
                pos[h] += 3 * len;
                RingOps.Sub(y[h], c2[h], y[h]);
            }
            send[other].Add(y[h]);
        }
        for (int q = 0; q < 3; q++) expect[q] = 0;
        for (int h = 0; h < 3; h++)
        {
            int len = off[h + 1] - off[h];
            int role = (Me - h + 3) % 3;
            if (len > 0 && role != 0) expect[role == 1 ? (h + 2) % 3 : (h + 1) % 3] += len;
        }
        got = Exchange(send, expect);
        Ch.Round();
        for (int q = 0; q < 3; q++) pos[q] = 0;
        for (int h = 0; h < 3; h++)
        {
            int len = off[h + 1] - off[h];
            if (len == 0) continue;
            int role = (Me - h + 3) % 3;
            if (role == 0) continue;
            int other = role == 1 ? (h + 2) % 3 : (h + 1) % 3;
            RingOps.Add(y[h], got[other].AsSpan(pos[other], len), y[h]);
            pos[other] += len;
            if (role == 1)
            {
                s0[h].AsSpan(2 * len, len).CopyTo(out0.AsSpan(off[h]));
                y[h].CopyTo(out1, off[h]);
            }
            else
            {
                y[h].CopyTo(out0, off[h]);
                c2[h].CopyTo(out1, off[h]);
            }
        }
        return new Share(n, [out0, out1]);
    }

    /// <summary>One message to each peer with something to send (its parts concatenated), then one from each peer expected to send.</summary>
    private ulong[][] Exchange(List<ulong[]>[] send, int[] expect)
    {
        for (int q = 0; q < 3; q++)
            if (q != Me && send[q].Count > 0) Ch.Send(q, send[q].Count == 1 ? send[q][0] : Cat([.. send[q]]));
        var got = new ulong[3][];
        for (int q = 0; q < 3; q++) got[q] = q != Me && expect[q] > 0 ? Ch.ReceiveUlongs(q, expect[q]) : [];
        return got;
    }
}
