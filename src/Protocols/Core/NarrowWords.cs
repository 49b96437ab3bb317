using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace PrivateInference.Protocols.Core;

/// <summary>
/// Ring words sent in fewer bytes than eight. A masked opening c = z + r is needed only modulo 2^w when its receiver
/// uses only c's low w bits (a comparison reads bits 0..k of C; a truncation in a ring of w bits, its top bit and
/// the bits below), so each party sends its masked share modulo 2^(8B), B = ⌈w/8⌉ bytes, little-endian, and the
/// receiver adds the two modulo 2^w. The low bytes of a uniformly masked word are uniform, so what a receiver sees
/// is the same as before, minus the bytes it never used.
/// </summary>
internal static class NarrowWords
{
    /// <summary>Bytes for words of <paramref name="bits"/> bits (1..64).</summary>
    public static int Bytes(int bits) => bits is < 1 or > 64
        ? throw new ArgumentOutOfRangeException(nameof(bits), "word widths are 1..64 bits")
        : (bits + 7) / 8;

    /// <summary>The mask of a ring of <paramref name="bits"/> bits.</summary>
    public static ulong Mask(int bits) => bits >= 64 ? ulong.MaxValue : (1UL << bits) - 1;

    /// <summary>Writes <paramref name="values"/> modulo 2^(8·<paramref name="bytes"/>), <paramref name="bytes"/> each. It may
    /// scribble on up to 7 bytes of <paramref name="destination"/> past the last word: write consecutive parts of one
    /// buffer in order.</summary>
    public static void Write(ReadOnlySpan<ulong> values, int bytes, Span<byte> destination)
    {
        if (bytes == 8) { MemoryMarshal.AsBytes(values).CopyTo(destination); return; }
        // Whole 8-byte little-endian writes where they fit, each overwriting the previous word's spare high bytes; the
        // last few words byte by byte.
        int i = 0, at = 0;
        for (; i < values.Length && at + 8 <= destination.Length; i++, at += bytes)
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], values[i]);
        Span<byte> word = stackalloc byte[8];
        for (; i < values.Length; i++, at += bytes)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, values[i]);
            word[..bytes].CopyTo(destination.Slice(at, bytes));
        }
    }

    /// <summary>Adds the words in <paramref name="source"/> (<paramref name="bytes"/> each, zero-extended) to
    /// <paramref name="sums"/>.</summary>
    public static void AddTo(ReadOnlySpan<byte> source, int bytes, Span<ulong> sums)
    {
        if (bytes == 8)
        {
            var words = MemoryMarshal.Cast<byte, ulong>(source[..(8 * sums.Length)]);
            for (int j = 0; j < sums.Length; j++) sums[j] += words[j];
            return;
        }
        ulong mask = (1UL << (8 * bytes)) - 1;
        int i = 0, at = 0;
        for (; i < sums.Length && at + 8 <= source.Length; i++, at += bytes)
            sums[i] += BinaryPrimitives.ReadUInt64LittleEndian(source[at..]) & mask;
        Span<byte> word = stackalloc byte[8];
        word.Clear();
        for (; i < sums.Length; i++, at += bytes)
        {
            source.Slice(at, bytes).CopyTo(word);
            sums[i] += BinaryPrimitives.ReadUInt64LittleEndian(word);
        }
    }
}
