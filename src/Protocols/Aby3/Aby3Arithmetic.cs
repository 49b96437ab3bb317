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
        Ring.MulShares3pc(a.C[0], a.C[1], b.C[0], b.C[1], z);
        return z;
    }

    public Share MatMul(Share a, Share b, int batch, int m, int k, int n, bool bShared, int truncBits)
    {
        int outLen = batch * m * n;
        if (!IsCompute) return truncBits > 0 ? TruncFrom3of3(null, outLen, truncBits) : Share.Empty(outLen, 0);
        var z = ZeroShare(outLen, boolean: false);
        Ring.MatMulShares3pc(a.C[0], a.C[1], b.C[0], b.C[1], z, batch, m, k, n, bShared);
        return truncBits > 0 ? TruncFrom3of3(z, outLen, truncBits) : Reshare(z);
    }

    private sealed class Prepared(int k, int n, ResidentRhs3pc? resident) : PreparedRhs
    {
        public override int K => k;
        public override int N => n;
        /// <summary>This compute party's components as the ring backend keeps them (on the device under cuda); null elsewhere.</summary>
        public ResidentRhs3pc? Resident { get; } = resident;
    }

    /// <summary>
    /// No messages: the product already sends only output-sized data. The weight is handed to the ring backend once,
    /// so a GPU keeps it on the device for the session. Every party prepares, so all take the same path.
    /// </summary>
    public PreparedRhs? Prepare(Share w, int k, int n) =>
        new Prepared(k, n, IsCompute ? Ring.PrepareRhs3pc(w.C[0], w.C[1], k, n) : null);

    public Share MatMulPrepared(Share a, Share w, PreparedRhs prepared, int rows, int truncBits)
    {
        var p = (Prepared)prepared;
        if (!IsCompute || p.Resident is null) return MatMul(a, w, 1, rows, p.K, p.N, true, truncBits);
        int outLen = rows * p.N;
        var z = ZeroShare(outLen, boolean: false);
        Ring.MatMulShares3pc(a.C[0], a.C[1], p.Resident, z, rows);
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
    /// Exact truncation of a 3-out-of-3 sharing z (each term masked by a zero share), P2 helping as in the
    /// 2pc dealer protocol. Round 1: P0 and P1 swap z0, z1; P2 sends them z2 + r and P1 the shares of r's
    /// truncation material; both learn c = z + 2^62 + r, uniform since r is. Round 2: P0 and P1 turn their
    /// additive result shares into the missing replicated component C1; C0 and C2 come from pair keys with P2.
    /// </summary>
    private Share TruncFrom3of3(ulong[]? z, int n, int d)
    {
        if (!IsCompute) return Share.Empty(n, 0);
        const ulong offset = 1UL << 62;
        if (Me == 2)
        {
            var r = Draw(Own, n);
            ulong[] s0, c2;
            using (var s = Keys.Stream(0)) s0 = Draw(s, 3 * n);
            using (var s = Keys.Stream(1)) c2 = Draw(s, n);
            var (msb, low) = TruncMaterial(r, d);
            var a1 = new ulong[n];
            var b1 = new ulong[n];
            RingOps.Sub(msb, s0.AsSpan(0, n), a1);
            RingOps.Sub(low, s0.AsSpan(n, n), b1);
            var masked = new ulong[n];
            RingOps.Add(z!, r, masked);
            Ch.Send(0, masked);
            Ch.Send(1, Cat(masked, a1, b1));
            Ch.Round();
            Ch.Round();
            return new Share(n, [c2, Part(s0, 2, n)]);
        }
        if (Me == 0)
        {
            ulong[] s0;
            using (var s = Keys.Stream(2)) s0 = Draw(s, 3 * n);
            Ch.Send(1, z!);
            var z1 = Ch.ReceiveUlongs(1, n);
            var m = Ch.ReceiveUlongs(2, n);
            Ch.Round();
            var c = new ulong[n];
            RingOps.Add(z!, z1, c);
            RingOps.Add(c, m, c);
            RingOps.Add(c, offset, c);
            var y = TruncShare(c, Part(s0, 0, n), Part(s0, 1, n), d, addPublic: true);
            var c0 = Part(s0, 2, n);
            RingOps.Sub(y, c0, y);
            Ch.Send(1, y);
            var other = Ch.ReceiveUlongs(1, n);
            Ch.Round();
            RingOps.Add(y, other, y);
            return new Share(n, [c0, y]);
        }
        else
        {
            ulong[] c2;
            using (var s = Keys.Stream(2)) c2 = Draw(s, n);
            Ch.Send(0, z!);
            var z0 = Ch.ReceiveUlongs(0, n);
            var fromHelper = Ch.ReceiveUlongs(2, 3 * n);
            Ch.Round();
            var c = new ulong[n];
            RingOps.Add(z!, z0, c);
            RingOps.Add(c, fromHelper.AsSpan(0, n), c);
            RingOps.Add(c, offset, c);
            var y = TruncShare(c, Part(fromHelper, 1, n), Part(fromHelper, 2, n), d, addPublic: false);
            RingOps.Sub(y, c2, y);
            Ch.Send(0, y);
            var other = Ch.ReceiveUlongs(0, n);
            Ch.Round();
            RingOps.Add(y, other, y);
            return new Share(n, [y, c2]);
        }
    }
}
