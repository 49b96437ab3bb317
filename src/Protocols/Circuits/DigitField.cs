using System.Buffers.Binary;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// The prime field of a bitwise comparison of width k and how its elements travel. Every per-bit term of the
/// comparison is at most k + 1, so any prime p ≥ k + 2 keeps them from wrapping; the smallest one is taken, and its
/// elements are sent packed in ⌈log2 p⌉ bits each instead of a byte: 5 bits for the 23- to 29-bit keys of softmax's
/// tournament and exp's clamp test (p = 29 or 31), 7 for a full-width comparison (p = 67).
/// </summary>
internal sealed class DigitField
{
    /// <summary>The widest comparison: 63 bits of a ring value plus its carry.</summary>
    public const int MaxWidth = 65;

    private static readonly DigitField[] ByWidth = Build();

    public int P { get; }
    /// <summary>Bits per element on the wire.</summary>
    public int Bits { get; }
    /// <summary>x mod p for x &lt; p·p + p (a product of two elements plus one): a table beats the division.</summary>
    public byte[] Mod { get; }

    private DigitField(int p)
    {
        P = p;
        Bits = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(p - 1));
        Mod = Enumerable.Range(0, p * p + p).Select(x => (byte)(x % p)).ToArray();
    }

    /// <summary>The field of a comparison on k bits (1 ≤ k ≤ <see cref="MaxWidth"/>).</summary>
    public static DigitField ForWidth(int k) =>
        k is >= 1 and <= MaxWidth ? ByWidth[k] : throw new ArgumentOutOfRangeException(nameof(k), $"comparison widths are 1..{MaxWidth} bits, got {k}");

    private static DigitField[] Build()
    {
        var fields = new DigitField[MaxWidth + 1];
        var byPrime = new Dictionary<int, DigitField>();
        for (int k = 1; k <= MaxWidth; k++)
        {
            int p = k + 2;
            while (!IsPrime(p)) p++;
            if (!byPrime.TryGetValue(p, out var f)) byPrime[p] = f = new DigitField(p);
            fields[k] = f;
        }
        fields[0] = fields[1];
        return fields;
    }

    private static bool IsPrime(int n)
    {
        for (int d = 2; d * d <= n; d++) if (n % d == 0) return false;
        return n >= 2;
    }

    /// <summary>Bytes that <paramref name="count"/> packed elements take.</summary>
    public int PackedBytes(int count) => (int)(((long)count * Bits + 7) / 8);

    /// <summary>The elements (each below p) packed little-endian, <see cref="Bits"/> bits each.</summary>
    public byte[] Pack(ReadOnlySpan<byte> elements)
    {
        var packed = new byte[PackedBytes(elements.Length)];
        ulong acc = 0;
        int held = 0, at = 0;
        foreach (byte e in elements)
        {
            acc |= (ulong)e << held;
            held += Bits;
            if (held >= 32)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(packed.AsSpan(at), (uint)acc);
                at += 4;
                acc >>= 32;
                held -= 32;
            }
        }
        for (; held > 0; held -= 8, acc >>= 8) packed[at++] = (byte)acc;
        return packed;
    }

    /// <summary>The inverse of <see cref="Pack"/>: <paramref name="elements"/>.Length elements from
    /// <paramref name="packed"/>.</summary>
    public void Unpack(ReadOnlySpan<byte> packed, Span<byte> elements)
    {
        if (packed.Length != PackedBytes(elements.Length))
            throw new ArgumentException($"{packed.Length} bytes do not hold {elements.Length} elements of {Bits} bits");
        ulong acc = 0, mask = (1UL << Bits) - 1;
        int held = 0, at = 0;
        for (int i = 0; i < elements.Length; i++)
        {
            if (held < Bits)
            {
                if (at + 4 <= packed.Length)
                {
                    acc |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(packed[at..]) << held;
                    at += 4;
                    held += 32;
                }
                else
                    for (; held < Bits; held += 8) acc |= (ulong)packed[at++] << held;
            }
            elements[i] = (byte)(acc & mask);
            acc >>= Bits;
            held -= Bits;
        }
    }
}
