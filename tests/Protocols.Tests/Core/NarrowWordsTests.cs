using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Tests.Core;

/// <summary>Words sent in fewer bytes come back right modulo 2^(8·bytes), also when several parts of one buffer are
/// written in order (each write may scribble past its last word) and when a part is shorter than a word.</summary>
public class NarrowWordsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(8)]
    public void Consecutive_parts_round_trip_modulo_their_widths(int bytes)
    {
        var rng = new Random(bytes);
        int[] lengths = [1, 7, 64, 2];
        var parts = lengths.Select(n => Enumerable.Range(0, n).Select(_ => (ulong)rng.NextInt64() ^ ((ulong)rng.Next() << 40)).ToArray()).ToArray();
        int[] widths = [bytes, 8, bytes, Math.Max(1, bytes - 1)];
        var buffer = new byte[parts.Select((p, i) => p.Length * widths[i]).Sum()];
        for (int i = 0, at = 0; i < parts.Length; at += parts[i].Length * widths[i], i++) NarrowWords.Write(parts[i], widths[i], buffer.AsSpan(at));
        for (int i = 0, at = 0; i < parts.Length; at += parts[i].Length * widths[i], i++)
        {
            var sums = Enumerable.Repeat(5UL, parts[i].Length).ToArray();
            NarrowWords.AddTo(buffer.AsSpan(at), widths[i], sums);
            ulong mask = widths[i] == 8 ? ulong.MaxValue : (1UL << (8 * widths[i])) - 1;
            for (int j = 0; j < sums.Length; j++) Assert.Equal((parts[i][j] & mask) + 5, sums[j]);
        }
    }

    [Fact]
    public void Widths_outside_one_to_sixty_four_bits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NarrowWords.Bytes(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => NarrowWords.Bytes(65));
        Assert.Equal(6, NarrowWords.Bytes(48));
        Assert.Equal(ulong.MaxValue, NarrowWords.Mask(64));
    }
}
