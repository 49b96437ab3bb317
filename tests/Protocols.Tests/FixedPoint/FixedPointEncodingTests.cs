using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Protocols.Tests.FixedPoint;

public class FixedPointEncodingTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(-1.5)]
    [InlineData(123456.25)]
    [InlineData(-1e9)]
    public void Values_on_the_grid_round_trip_exactly(double x) =>
        Assert.Equal(x, FixedPointEncoding.Decode(FixedPointEncoding.Encode(x, 16), 16));

    [Fact]
    public void Off_grid_values_round_to_the_nearest_step()
    {
        var rng = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            double x = (rng.NextDouble() - 0.5) * 1e6;
            Assert.InRange(Math.Abs(FixedPointEncoding.Decode(FixedPointEncoding.Encode(x, 16), 16) - x), 0, 0.5 / 65536);
        }
    }

    [Fact]
    public void Negative_values_are_twos_complement_in_the_ring()
    {
        Assert.Equal(ulong.MaxValue - 65535, FixedPointEncoding.Encode(-1, 16));
        Assert.Equal(unchecked(FixedPointEncoding.Encode(2.5, 16) + FixedPointEncoding.Encode(-4, 16)), FixedPointEncoding.Encode(-1.5, 16));
    }

    [Fact]
    public void Values_outside_the_range_are_rejected() =>
        Assert.Throws<OverflowException>(() => FixedPointEncoding.Encode(Math.Pow(2, 48), 16));

    [Theory]
    [InlineData(double.NaN, "NaN or infinite")]
    [InlineData(double.PositiveInfinity, "NaN or infinite")]
    [InlineData(-3.75e15, "magnitude at least 2^47")]
    public void A_value_that_does_not_fit_is_refused_with_the_reason_but_not_the_value(double x, string reason)
    {
        var refused = Assert.Throws<OverflowException>(() => FixedPointEncoding.Encode(x, 16));
        Assert.Contains(reason, refused.Message);
        Assert.DoesNotContain("3.75", refused.Message);
        Assert.DoesNotContain("3750", refused.Message);
        Assert.False(FixedPointEncoding.Fits(x, 16));
    }
}
