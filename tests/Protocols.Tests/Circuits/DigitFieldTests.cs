using PrivateInference.Protocols.Circuits;

namespace PrivateInference.Protocols.Tests.Circuits;

public class DigitFieldTests
{
    [Fact]
    public void Each_width_gets_the_smallest_prime_above_its_largest_term_and_the_bits_that_hold_it()
    {
        for (int k = 1; k <= DigitField.MaxWidth; k++)
        {
            var f = DigitField.ForWidth(k);
            Assert.True(f.P >= k + 2, $"k = {k}: p = {f.P} does not exceed the largest term k + 1");
            Assert.True(Enumerable.Range(2, f.P - 2).All(d => f.P % d != 0), $"k = {k}: {f.P} is not prime");
            Assert.True(Enumerable.Range(k + 2, f.P - k - 2).All(q => Enumerable.Range(2, q - 2).Any(d => q % d == 0)), $"k = {k}: a smaller prime than {f.P} fits");
            Assert.True(f.P <= 1 << f.Bits && f.P > 1 << (f.Bits - 1), $"k = {k}: {f.Bits} bits for p = {f.P}");
        }
        Assert.Equal((31, 5), (DigitField.ForWidth(29).P, DigitField.ForWidth(29).Bits));
        Assert.Equal((67, 7), (DigitField.ForWidth(63).P, DigitField.ForWidth(63).Bits));
        Assert.Throws<ArgumentOutOfRangeException>(() => DigitField.ForWidth(DigitField.MaxWidth + 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(23)]
    [InlineData(29)]
    [InlineData(41)]
    [InlineData(63)]
    public void Packing_round_trips_every_length_in_the_fewest_bytes(int k)
    {
        var f = DigitField.ForWidth(k);
        var rng = new Random(k);
        foreach (int n in new[] { 0, 1, 2, 7, 8, 31, 33, 1000, 4097 })
        {
            var elements = Enumerable.Range(0, n).Select(_ => (byte)rng.Next(f.P)).ToArray();
            var packed = f.Pack(elements);
            Assert.Equal(((long)n * f.Bits + 7) / 8, packed.Length);
            var back = new byte[n];
            f.Unpack(packed, back);
            Assert.Equal(elements, back);
        }
        Assert.Throws<ArgumentException>(() => f.Unpack(new byte[3], new byte[100]));
    }
}
