using System.Runtime.Intrinsics.X86;

namespace PrivateInference.Kernels.Ring;

/// <summary>
/// Packing of per-element bit fields into dense words, so boolean protocol messages carry only the bits an
/// AND layer actually uses (a comparison's adder tree works on 64, 32, ... 1 bits per element).
/// Widths are powers of two so a field never straddles a word.
/// </summary>
public static class BitPack
{
    public static int PackedWords(int count, int bits) => (int)(((long)count * bits + 63) / 64);

    /// <summary>Concatenates the low <paramref name="bits"/> of each element into <paramref name="dst"/>.</summary>
    public static void Pack(ReadOnlySpan<ulong> src, int bits, Span<ulong> dst)
    {
        Check(bits);
        if (bits == 64) { src.CopyTo(dst); return; }
        int per = 64 / bits;
        ulong mask = (1UL << bits) - 1;
        int words = PackedWords(src.Length, bits);
        for (int w = 0; w < words; w++)
        {
            ulong acc = 0;
            int baseIdx = w * per, end = Math.Min(src.Length, baseIdx + per);
            for (int i = baseIdx, sh = 0; i < end; i++, sh += bits) acc |= (src[i] & mask) << sh;
            dst[w] = acc;
        }
    }

    /// <summary>Inverse of <see cref="Pack"/>: each element receives its field in its low bits, zero above.</summary>
    public static void Unpack(ReadOnlySpan<ulong> src, int bits, Span<ulong> dst)
    {
        Check(bits);
        if (bits == 64) { src[..dst.Length].CopyTo(dst); return; }
        int per = 64 / bits;
        ulong mask = (1UL << bits) - 1;
        for (int i = 0; i < dst.Length; i++) dst[i] = (src[i / per] >> ((i % per) * bits)) & mask;
    }

    /// <summary>Gathers the bits of <paramref name="x"/> selected by <paramref name="mask"/> into the low bits (BMI2 PEXT).</summary>
    public static ulong Extract(ulong x, ulong mask)
    {
        if (Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitExtract(x, mask);
        ulong r = 0; int k = 0;
        for (ulong m = mask; m != 0; m &= m - 1, k++)
            if ((x & (m & ~(m - 1))) != 0) r |= 1UL << k;
        return r;
    }

    /// <summary>Scatters the low bits of <paramref name="x"/> to the positions set in <paramref name="mask"/> (BMI2 PDEP).</summary>
    public static ulong Deposit(ulong x, ulong mask)
    {
        if (Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitDeposit(x, mask);
        ulong r = 0; int k = 0;
        for (ulong m = mask; m != 0; m &= m - 1, k++)
            if (((x >> k) & 1) != 0) r |= m & ~(m - 1);
        return r;
    }

    private static void Check(int bits)
    {
        if (bits <= 0 || bits > 64 || (bits & (bits - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(bits), "field width must be a power of two up to 64");
    }
}
