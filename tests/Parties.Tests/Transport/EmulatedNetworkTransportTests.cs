using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Tests;

public class EmulatedNetworkTransportTests
{
    [Fact]
    public void Messages_reach_the_inner_transport_one_delay_later_in_order()
    {
        var inner = new RecordingTransport();
        var emulated = new EmulatedNetworkTransport(inner, NetworkProfile.Parse("none", delayMs: 200));

        var sentAt = inner.Now;
        emulated.Send(1, [1]);
        emulated.Send(1, [2]);
        var returnedAfter = inner.Now - sentAt;
        emulated.Dispose();

        Assert.True(returnedAfter < TimeSpan.FromMilliseconds(150), "send must not block for the delay");
        var delivered = inner.Sent.ToArray();
        Assert.Equal([1, 2], delivered.Select(d => (int)d.Payload[0]));
        Assert.All(delivered, d => Assert.True(d.At - sentAt >= TimeSpan.FromMilliseconds(200), $"delivered after {(d.At - sentAt).TotalMilliseconds} ms"));
    }

    [Fact]
    public void The_bandwidth_cap_spaces_consecutive_messages_by_their_transmission_time()
    {
        var inner = new RecordingTransport();
        var emulated = new EmulatedNetworkTransport(inner, NetworkProfile.Parse("none", bandwidthMbit: 8));

        var start = inner.Now;
        for (var i = 0; i < 3; i++)
            emulated.Send(2, new byte[25_000]);
        emulated.Dispose();

        // 25 kB at 8 Mbit/s is 25 ms per message.
        var offsets = inner.Sent.Select(d => (d.At - start).TotalMilliseconds).ToArray();
        Assert.Equal(3, offsets.Length);
        for (var i = 0; i < 3; i++)
            Assert.True(offsets[i] >= 25 * (i + 1) - 0.5, $"message {i} arrived at {offsets[i]:0.0} ms");
    }

    [Fact]
    public void Disposal_delivers_what_is_still_on_the_wire_before_closing_the_inner_transport()
    {
        var inner = new RecordingTransport();
        var emulated = new EmulatedNetworkTransport(inner, NetworkProfile.Parse("none", delayMs: 30));

        emulated.Send(1, [7]);
        emulated.Dispose();

        Assert.Single(inner.Sent);
        Assert.True(inner.Disposed);
    }

    [Fact]
    public void No_emulation_passes_sends_straight_through()
    {
        var inner = new RecordingTransport();
        using var emulated = new EmulatedNetworkTransport(inner, NetworkProfile.None);

        emulated.Send(1, [3]);

        Assert.Single(inner.Sent);
    }

    [Fact]
    public void Each_peer_has_its_own_link_so_a_busy_link_does_not_hold_up_another()
    {
        var inner = new RecordingTransport();
        var emulated = new EmulatedNetworkTransport(inner, NetworkProfile.Parse("none", bandwidthMbit: 8));

        emulated.Send(1, new byte[200_000]);
        emulated.Send(2, new byte[10]);
        emulated.Dispose();

        // 200 kB at 8 Mbit/s occupy link 0->1 for 200 ms; the message to party 2 must not queue behind them.
        var toOne = inner.Sent.Single(d => d.To == 1);
        var toTwo = inner.Sent.Single(d => d.To == 2);
        Assert.True(toTwo.At < toOne.At, $"the small message arrived at {toTwo.At.TotalMilliseconds:0.0} ms, the large one at {toOne.At.TotalMilliseconds:0.0} ms");
    }
}
