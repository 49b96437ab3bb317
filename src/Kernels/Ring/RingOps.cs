using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace PrivateInference.Kernels.Ring;

/// <summary>
/// Elementwise arithmetic in the ring Z_2^64 on spans of <see cref="ulong"/>. Wrap-around is the ring
/// reduction, so unchecked ulong arithmetic is exactly the ring; TensorPrimitives vectorises it (AVX-512 here).
/// All methods write into a caller-owned destination and allocate nothing; destination may alias an input.
/// </summary>
public static class RingOps
{
    public static void Add(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst) => TensorPrimitives.Add(a, b, dst);

    public static void Add(ReadOnlySpan<ulong> a, ulong b, Span<ulong> dst) => TensorPrimitives.Add(a, b, dst);

    public static void Sub(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst) => TensorPrimitives.Subtract(a, b, dst);

    public static void Sub(ulong a, ReadOnlySpan<ulong> b, Span<ulong> dst) => TensorPrimitives.Subtract(a, b, dst);

    public static void Neg(ReadOnlySpan<ulong> a, Span<ulong> dst) => TensorPrimitives.Negate(a, dst);

    public static void Mul(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst) => TensorPrimitives.Multiply(a, b, dst);

    public static void Scale(ReadOnlySpan<ulong> a, ulong c, Span<ulong> dst) => TensorPrimitives.Multiply(a, c, dst);

    /// <summary>dst = a * b + c elementwise.</summary>
    public static void MulAdd(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, ReadOnlySpan<ulong> c, Span<ulong> dst) =>
        TensorPrimitives.MultiplyAdd(a, b, c, dst);

    /// <summary>dst = a * s + c elementwise with a scalar s.</summary>
    public static void MulAdd(ReadOnlySpan<ulong> a, ulong s, ReadOnlySpan<ulong> c, Span<ulong> dst) =>
        TensorPrimitives.MultiplyAdd(a, s, c, dst);

    /// <summary>Two's-complement (sign-extending) shift: the ring value read as a signed integer.</summary>
    public static void ShiftRightArithmetic(ReadOnlySpan<ulong> a, int bits, Span<ulong> dst) =>
        TensorPrimitives.ShiftRightArithmetic(MemoryMarshal.Cast<ulong, long>(a), bits, MemoryMarshal.Cast<ulong, long>(dst));

    public static void ShiftRightLogical(ReadOnlySpan<ulong> a, int bits, Span<ulong> dst) =>
        TensorPrimitives.ShiftRightLogical(a, bits, dst);

    public static void ShiftLeft(ReadOnlySpan<ulong> a, int bits, Span<ulong> dst) =>
        TensorPrimitives.ShiftLeft(a, bits, dst);

    public static void Xor(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst) => TensorPrimitives.Xor(a, b, dst);

    public static void And(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> dst) => TensorPrimitives.BitwiseAnd(a, b, dst);

    public static void And(ReadOnlySpan<ulong> a, ulong mask, Span<ulong> dst) => TensorPrimitives.BitwiseAnd(a, mask, dst);

    /// <summary>Sum of each contiguous row of length <paramref name="rowLength"/> (a reduction along the last axis).</summary>
    public static void RowSums(ReadOnlySpan<ulong> a, int rowLength, Span<ulong> dst)
    {
        for (int r = 0; r < dst.Length; r++) dst[r] = TensorPrimitives.Sum(a.Slice(r * rowLength, rowLength));
    }
}
