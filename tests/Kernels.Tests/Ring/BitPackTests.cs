using PrivateInference.Kernels.Ring;

namespace PrivateInference.Kernels.Tests.Ring;

public class BitPackTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(64)]
    public void Pack_then_unpack_restores_the_low_bits(int bits)
    {
        var rng = new System.Random(bits);
        var src = Enumerable.Range(0, 77).Select(_ => (ulong)rng.NextInt64()).ToArray();
        var packed = new ulong[BitPack.PackedWords(src.Length, bits)];
        BitPack.Pack(src, bits, packed);
        var back = new ulong[src.Length];
        BitPack.Unpack(packed, bits, back);
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        Assert.Equal(src.Select(v => v & mask), back);
        Assert.Equal((77 * bits + 63) / 64, packed.Length);
    }

    [Fact]
    public void Extract_and_deposit_match_their_definitions()
    {
        var rng = new System.Random(5);
        for (int i = 0; i < 200; i++)
        {
            ulong x = (ulong)rng.NextInt64(), mask = (ulong)rng.NextInt64();
            ulong ext = BitPack.Extract(x, mask);
            int k = 0; ulong expected = 0;
            for (int b = 0; b < 64; b++) if (((mask >> b) & 1) != 0) { expected |= ((x >> b) & 1) << k; k++; }
            Assert.Equal(expected, ext);
            Assert.Equal(x & mask, BitPack.Deposit(ext, mask));
        }
    }
}
