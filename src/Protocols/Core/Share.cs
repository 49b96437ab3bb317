using PrivateInference.Kernels.Ring;

namespace PrivateInference.Protocols.Core;

/// <summary>
/// This party's piece of a shared vector: 3pc compute parties hold two components (C_i, C_i+1), 2pc compute
/// parties one, and the dealer or an outside party none (it only tracks the length). Local linear maps act on
/// every component, so the same code is correct for every holder; anything touching a constant or the
/// network goes through the scheme.
/// </summary>
internal sealed class Share
{
    public Share(int length, ulong[][] components)
    {
        Length = length;
        C = components;
    }

    public int Length { get; }
    public ulong[][] C { get; }

    public static Share Empty(int length, int components)
    {
        var c = new ulong[components][];
        for (int i = 0; i < components; i++) c[i] = new ulong[length];
        return new Share(length, c);
    }

    public Share Map(Action<ulong[], ulong[]> f)
    {
        var r = new ulong[C.Length][];
        for (int i = 0; i < C.Length; i++) { r[i] = new ulong[Length]; f(C[i], r[i]); }
        return new Share(Length, r);
    }

    public Share Map(int newLength, Action<ulong[], ulong[]> f)
    {
        var r = new ulong[C.Length][];
        for (int i = 0; i < C.Length; i++) { r[i] = new ulong[newLength]; f(C[i], r[i]); }
        return new Share(newLength, r);
    }

    public static Share Zip(Share a, Share b, Action<ulong[], ulong[], ulong[]> f)
    {
        if (a.Length != b.Length) throw new ArgumentException($"length mismatch {a.Length} vs {b.Length}");
        var r = new ulong[a.C.Length][];
        for (int i = 0; i < a.C.Length; i++) { r[i] = new ulong[a.Length]; f(a.C[i], b.C[i], r[i]); }
        return new Share(a.Length, r);
    }

    public Share Add(Share b) => Zip(this, b, (x, y, d) => RingOps.Add(x, y, d));
    public Share Sub(Share b) => Zip(this, b, (x, y, d) => RingOps.Sub(x, y, d));
    public Share Neg() => Map((x, d) => RingOps.Neg(x, d));
    public Share Scale(ulong c) => Map((x, d) => RingOps.Scale(x, c, d));
    public Share MulPublic(ulong[] c) => Map((x, d) => RingOps.Mul(x, c, d));
    public Share Xor(Share b) => Zip(this, b, (x, y, d) => RingOps.Xor(x, y, d));
    public Share AndPublic(ulong mask) => Map((x, d) => RingOps.And(x, mask, d));
    public Share ShiftLeft(int bits) => Map((x, d) => RingOps.ShiftLeft(x, bits, d));
    public Share ShiftRightLogical(int bits) => Map((x, d) => RingOps.ShiftRightLogical(x, bits, d));

    public Share Slice(int start, int length) => Map(length, (x, d) => x.AsSpan(start, length).CopyTo(d));

    public static Share Concat(params Share[] parts)
    {
        int total = parts.Sum(p => p.Length);
        int comps = parts[0].C.Length;
        var r = new ulong[comps][];
        for (int c = 0; c < comps; c++)
        {
            r[c] = new ulong[total];
            int off = 0;
            foreach (var p in parts) { p.C[c].CopyTo(r[c], off); off += p.Length; }
        }
        return new Share(total, r);
    }

    /// <summary>Per-component gather: element i of the result is element idx[i] of this share.</summary>
    public Share Gather(int[] idx) => Map(idx.Length, (x, d) => { for (int i = 0; i < idx.Length; i++) d[i] = x[idx[i]]; });

    /// <summary>As <see cref="Gather"/>, with index −1 giving 0 in every component (a valid sharing of zero).</summary>
    public Share GatherOrZero(int[] idx) => Map(idx.Length, (x, d) => { for (int i = 0; i < idx.Length; i++) d[i] = idx[i] < 0 ? 0 : x[idx[i]]; });

    /// <summary>Per-component bit packing (see <see cref="BitPack"/>).</summary>
    public Share Pack(int bits) => Map(BitPack.PackedWords(Length, bits), (x, d) => BitPack.Pack(x, bits, d));
    public Share Unpack(int bits, int count) => Map(count, (x, d) => BitPack.Unpack(x, bits, d));
}

/// <summary>Material a scheme keeps for a right-hand matrix reused across products (2pc: its opened Beaver mask).</summary>
internal abstract class PreparedRhs
{
    public abstract int K { get; }
    public abstract int N { get; }
}

/// <summary>Material a scheme keeps for a secret operand [batch, rows, cols] that grows by rows and takes part in a
/// product at every step (the KV cache): in 2pc each row's Beaver mask is opened once, when the row is appended.</summary>
internal abstract class GrowingRhs
{
    public abstract int Batch { get; }
    public abstract int Rows { get; }
    public abstract int Cols { get; }
}

/// <summary>One operand's share of a <see cref="IScheme.Grow"/> call.</summary>
internal readonly record struct GrowingPart(GrowingRhs? Rhs, Share Rows, int Batch, int NewRows, int Cols);

/// <summary>The primitives each sharing scheme implements; everything else is built on these in scheme-free code.</summary>
internal interface IScheme
{
    /// <summary>Components this party holds per shared value.</summary>
    int Components { get; }

    Share Input(int owner, ulong[]? values, int length);
    ulong[]? Reveal(Share x, int toParty);
    Share AddPublic(Share x, ulong[] c);
    Share XorPublic(Share x, ulong[] c);

    /// <summary>Elementwise ring product, no truncation.</summary>
    Share MulRaw(Share a, Share b);
    /// <summary>Elementwise product with the result truncated by <paramref name="bits"/> (fused where the scheme can).</summary>
    Share MulTrunc(Share a, Share b, int bits);
    /// <summary>(a·b + addend) truncated by <paramref name="bits"/>: a local addend at the raw product's scale rides
    /// along in the product's truncation (same rounds and bytes as <see cref="MulTrunc"/>).</summary>
    Share MulAddTrunc(Share a, Share b, Share addend, int bits);
    /// <summary>Batched ring matmul; A is [batch, m, k], B is [k, n] when <paramref name="bShared"/> else [batch, k, n]. truncBits 0 = none.</summary>
    /// <remarks><paramref name="discard"/> (public, one per output): outputs the caller throws away; a scheme may leave
    /// them undefined and send nothing for them.</remarks>
    Share MatMul(Share a, Share b, int batch, int m, int k, int n, bool bShared, int truncBits, bool[]? discard = null);
    /// <summary>Prepares W [k, n] for repeated products; what is returned is all the products read (W's shares may go).</summary>
    PreparedRhs Prepare(Share w, int k, int n);
    Share MatMulPrepared(Share a, PreparedRhs prepared, int rows, int truncBits);
    /// <summary>Appends rows to several growing operands at once (one round in all): part i appends NewRows rows per
    /// batch entry (Rows is [Batch, NewRows, Cols]) to Rhs (null: a new operand).</summary>
    GrowingRhs[] Grow(IReadOnlyList<GrowingPart> parts);
    /// <summary>A [batch, m, k] times the grown operand W [batch, rows, cols] (k = rows) or its transpose (k = cols,
    /// <paramref name="transposed"/>); <paramref name="w"/> is W's full share. truncBits 0 = none. <paramref name="zeros"/>
    /// (public, one per element of a): positions where a is 0 in every share (a causal softmax's masked entries); a
    /// scheme that opens a masked a may skip them. <paramref name="discard"/> (public, one per output): outputs the
    /// caller throws away (a causal mask's scores); a scheme may leave them undefined and send nothing for them.</summary>
    Share MatMulGrowing(Share a, Share w, GrowingRhs rhs, int m, bool transposed, int truncBits, bool[]? zeros = null, bool[]? discard = null);
    Share Trunc(Share x, int bits);

    /// <summary>This party's 2-out-of-2 share (P0, P1; nothing at P2) of the same value, locally.</summary>
    Share ToPair(Share x);
    /// <summary>A 2-out-of-2 sharing (P0, P1) back in this scheme's form (3pc: one round; 2pc: as it is).</summary>
    Share FromPair(Share y);
}
