using System.Buffers.Binary;
using System.Security.Cryptography;
using PrivateInference.Kernels.Random;

namespace PrivateInference.Kernels.Tests.Random;

public class AesCtrPrgTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();

    [Fact]
    public void Output_is_AES_of_nonce_and_counter_blocks()
    {
        using var prg = new AesCtrPrg(Key, 7);
        var got = new byte[48];
        prg.Fill(got);
        using var aes = Aes.Create();
        aes.Key = Key;
        for (int i = 0; i < 3; i++)
        {
            var block = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(block, 7);
            BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(8), (ulong)i);
            Assert.Equal(aes.EncryptEcb(block, PaddingMode.None), got.AsSpan(16 * i, 16).ToArray());
        }
    }

    [Fact]
    public void Same_key_and_nonce_give_the_same_stream_in_any_chunking()
    {
        using var a = new AesCtrPrg(Key, 1);
        using var b = new AesCtrPrg(Key, 1);
        var whole = a.NextUlongs(200_000);
        var parts = b.NextUlongs(100_000).Concat(b.NextUlongs(100_000)).ToArray();
        Assert.Equal(whole, parts);
    }

    [Fact]
    public void Different_nonces_give_unrelated_streams_with_balanced_bits()
    {
        using var a = new AesCtrPrg(Key, 1);
        using var b = new AesCtrPrg(Key, 2);
        var x = a.NextUlongs(4096);
        var y = b.NextUlongs(4096);
        Assert.NotEqual(x, y);
        long ones = x.Sum(v => (long)ulong.PopCount(v));
        // 262144 fair bits: mean 131072, sd 256; 6 sd either way.
        Assert.InRange(ones, 131072 - 1536, 131072 + 1536);
    }
}
