using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Communication;

public class InProcessHubTests
{
    [Fact]
    public void Bytes_arrive_in_order_and_may_be_read_across_message_boundaries()
    {
        var hub = new InProcessHub([0, 1]);
        using var a = hub.Endpoint(0);
        using var b = hub.Endpoint(1);
        a.Send(1, [1, 2, 3]);
        a.Send(1, [4, 5]);
        var first = new byte[4];
        b.Receive(0, first);
        var second = new byte[1];
        b.Receive(0, second);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, first);
        Assert.Equal(new byte[] { 5 }, second);
    }

    [Fact]
    public void Send_copies_the_payload_so_the_caller_may_reuse_its_buffer()
    {
        var hub = new InProcessHub([0, 1]);
        var buf = new byte[] { 9, 9 };
        hub.Endpoint(0).Send(1, buf);
        buf[0] = 0;
        var got = new byte[2];
        hub.Endpoint(1).Receive(0, got);
        Assert.Equal(new byte[] { 9, 9 }, got);
    }

    [Fact]
    public void Receive_times_out_with_a_transport_exception()
    {
        var hub = new InProcessHub([0, 1], TimeSpan.FromMilliseconds(50));
        Assert.Throws<TransportException>(() => hub.Endpoint(1).Receive(0, new byte[1]));
    }

    [Fact]
    public void Closing_the_hub_wakes_a_blocked_receiver()
    {
        var hub = new InProcessHub([0, 1]);
        Exception? caught = null;
        var t = new Thread(() => { try { hub.Endpoint(1).Receive(0, new byte[8]); } catch (Exception e) { caught = e; } });
        t.Start();
        Thread.Sleep(50);
        hub.Close();
        Assert.True(t.Join(TimeSpan.FromSeconds(5)));
        Assert.IsType<TransportException>(caught);
    }

    [Fact]
    public void A_failing_party_makes_the_session_fail_instead_of_hanging()
    {
        var e = Assert.Throws<InvalidOperationException>(() => InProcessSession.Run(SchemeKind.ThreePc, [0, 1, 2], ctx =>
        {
            if (ctx.PartyId == 1) throw new InvalidOperationException("party 1 broke");
            var x = ctx.Input(0, [4], ctx.PartyId == 0 ? [1.0, 2, 3, 4] : default);
            return ctx.Reveal(ctx.Mul(x, x), 0);
        }));
        Assert.Equal("party 1 broke", e.Message);
    }
}
