using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Tests;

public class NetworkProfileTests
{
    [Fact]
    public void Presets_have_the_figures_of_the_issue()
    {
        Assert.Equal((0.5, 1000.0), (NetworkProfile.Parse("lan").OneWayDelayMs, NetworkProfile.Parse("lan").BandwidthMbitPerSecond));
        Assert.Equal((20.0, 100.0), (NetworkProfile.Parse("wan").OneWayDelayMs, NetworkProfile.Parse("wan").BandwidthMbitPerSecond));
        Assert.True(NetworkProfile.Parse("none").IsIdeal);
        Assert.True(NetworkProfile.Parse(null).IsIdeal);
    }

    [Fact]
    public void Explicit_delay_and_bandwidth_override_the_preset()
    {
        var profile = NetworkProfile.Parse("wan", delayMs: 5);

        Assert.Equal(5, profile.OneWayDelayMs);
        Assert.Equal(100, profile.BandwidthMbitPerSecond);
        Assert.Equal("wan+custom", profile.Name);
        Assert.Equal("custom", NetworkProfile.Parse("none", bandwidthMbit: 10).Name);
    }

    [Theory]
    [InlineData(125_000, 1000, 1.0)]
    [InlineData(1_000_000, 100, 80.0)]
    [InlineData(0, 100, 0.0)]
    public void Transmission_time_is_bits_over_bandwidth(long bytes, double mbit, double expectedMs)
    {
        var profile = NetworkProfile.Parse("none", bandwidthMbit: mbit);

        Assert.Equal(expectedMs, profile.TransmissionTime(bytes).TotalMilliseconds, 6);
    }

    [Fact]
    public void Unlimited_bandwidth_costs_no_transmission_time()
    {
        Assert.Equal(TimeSpan.Zero, NetworkProfile.Parse("none", delayMs: 3).TransmissionTime(1 << 30));
    }

    [Theory]
    [InlineData("satellite", null, null, "unknown network 'satellite'")]
    [InlineData("lan", -1.0, null, "--delay-ms")]
    [InlineData("lan", null, 0.0, "--bandwidth")]
    public void Impossible_settings_are_refused_with_a_message_naming_the_option(string preset, double? delay, double? bandwidth, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => NetworkProfile.Parse(preset, delay, bandwidth));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_description_says_the_network_is_emulated_and_gives_its_figures()
    {
        Assert.Equal("lan (emulated in the transport: 1000 Mbit/s, 0.5 ms one-way delay per message)", NetworkProfile.Lan.Description);
        Assert.Equal("none (no emulation: raw transport)", NetworkProfile.None.Description);
    }
}
