using PrivateInference.Engine.KvCache;

namespace PrivateInference.Engine.Tests.KvCache;

public class UniformQuantizerTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void DecodedValuesLieWithinHalfAStepOfTheOriginals(int bits)
    {
        var rng = new Random(bits);
        for (int trial = 0; trial < 200; trial++)
        {
            var values = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() * 6 - 2) * (trial % 7 + 1)).ToArray();
            var codes = new byte[values.Length];
            var (scale, zero) = UniformQuantizer.Quantize(values, bits, codes);
            var decoded = new float[values.Length];
            UniformQuantizer.Decode(codes, scale, zero, decoded);

            float min = values.Min(), max = values.Max();
            // Half a step, plus what rounding the zero point to fp16 can shift (half an fp16 ulp of the minimum).
            float bound = (float)scale / 2 + MathF.Abs(min) * MathF.Pow(2, -11) + 1e-6f;
            Assert.True((float)scale <= (max - min) / UniformQuantizer.Levels(bits) * (1 + MathF.Pow(2, -9)) + 1e-6f);
            for (int i = 0; i < values.Length; i++)
                Assert.True(MathF.Abs(values[i] - decoded[i]) <= bound, $"bits {bits}: |{values[i]} - {decoded[i]}| > {bound}");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void CodesUseEveryLevelAndNoMore(int bits)
    {
        var values = Enumerable.Range(0, 1 << bits).Select(i => (float)i).ToArray();
        var codes = new byte[values.Length];
        UniformQuantizer.Quantize(values, bits, codes);
        Assert.Equal(Enumerable.Range(0, 1 << bits).Select(i => (byte)i), codes);
    }

    [Fact]
    public void ConstantGroupDecodesToItsValue()
    {
        var values = new float[] { 0.75f, 0.75f, 0.75f };
        var codes = new byte[3];
        var (scale, zero) = UniformQuantizer.Quantize(values, 2, codes);
        var decoded = new float[3];
        UniformQuantizer.Decode(codes, scale, zero, decoded);
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void PackedBytesRoundUpToWholeBytes()
    {
        Assert.Equal(8, UniformQuantizer.PackedBytes(32, 2));
        Assert.Equal(12, UniformQuantizer.PackedBytes(32, 3));
        Assert.Equal(3, UniformQuantizer.PackedBytes(7, 3));
    }
}
