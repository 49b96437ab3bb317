using System.Diagnostics;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Tests;

public class ReceiveTimeoutTests
{
    [Fact]
    public void Receiving_from_a_silent_peer_fails_after_the_configured_timeout()
    {
        var links = new InMemoryLinks(0, 1);
        using var silent = links.Open(0, "s");
        using var waiting = links.Open(1, "s", TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(300) });

        var clock = Stopwatch.StartNew();
        var failure = Assert.Throws<TransportException>(() => waiting.Receive(0, new byte[16]));

        Assert.InRange(clock.Elapsed.TotalMilliseconds, 280, 5000);
        Assert.Contains("no data for 0.3 s", failure.Message);
        Assert.Contains("16 of 16 bytes", failure.Message);
    }

    [Fact]
    public void The_timeout_counts_from_the_last_byte_received_not_from_the_start_of_the_receive()
    {
        var links = new InMemoryLinks(0, 1);
        using var sender = links.Open(0, "s");
        using var receiver = links.Open(1, "s", TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(1000) });
        var trickle = new Thread(() =>
        {
            for (var i = 0; i < 4; i++)
            {
                Thread.Sleep(400);
                sender.Send(1, new byte[] { (byte)i });
            }
        });

        trickle.Start();
        var buffer = new byte[4];
        receiver.Receive(0, buffer);
        trickle.Join();

        Assert.Equal(new byte[] { 0, 1, 2, 3 }, buffer);
    }

    [Fact]
    public void A_partial_message_reports_how_many_bytes_were_still_missing()
    {
        var links = new InMemoryLinks(0, 1);
        using var sender = links.Open(0, "s");
        using var receiver = links.Open(1, "s", TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(100) });

        sender.Send(1, new byte[6]);
        var failure = Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[10]));

        Assert.Contains("4 of 10 bytes", failure.Message);
    }

    [Fact]
    public async Task A_broken_link_fails_a_waiting_receive_at_once()
    {
        var links = new InMemoryLinks(0, 1);
        using var receiver = links.Open(1, "s");
        var clock = Stopwatch.StartNew();
        var breaker = Task.Run(async () =>
        {
            await Task.Delay(100);
            links.Router(1).FailLink(0, InMemoryLinks.LinkId(0), "the link to party 0 went down: connection reset");
        });

        var failure = Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[1]));
        await breaker;

        Assert.Contains("connection reset", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "a dead link must not wait for the receive timeout");
    }

    [Fact]
    public async Task Closing_the_session_releases_a_blocked_receive()
    {
        var links = new InMemoryLinks(0, 1);
        var receiver = links.Open(1, "s");
        var closer = Task.Run(async () =>
        {
            await Task.Delay(100);
            receiver.Dispose();
        });

        var failure = Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[1]));
        await closer;

        Assert.Contains("session closed", failure.Message);
    }

    [Fact]
    public void A_peer_that_keeps_sending_heartbeats_is_waited_for_past_the_timeout_while_it_computes()
    {
        var links = new InMemoryLinks(0, 1);
        var lastBeat = Stopwatch.StartNew();
        links.Heartbeats[0] = () => lastBeat.Elapsed;
        using var busy = links.Open(0, "s");
        using var receiver = links.Open(1, "s", TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(300) });
        var computing = new Thread(() =>
        {
            // Four timeouts of computing without a byte, heartbeats every 50 ms meanwhile, then the answer.
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromMilliseconds(1200))
            {
                Thread.Sleep(50);
                lastBeat.Restart();
            }
            busy.Send(1, new byte[] { 42 });
        });
        var waited = Stopwatch.StartNew();

        computing.Start();
        var buffer = new byte[1];
        receiver.Receive(0, buffer);
        computing.Join();

        Assert.Equal(42, buffer[0]);
        Assert.True(waited.Elapsed > TimeSpan.FromMilliseconds(1000), $"received after {waited.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public void A_peer_whose_heartbeats_stop_fails_the_receive_one_timeout_after_the_last_one()
    {
        var links = new InMemoryLinks(0, 1);
        var started = Stopwatch.StartNew();
        // Heard from until 500 ms, then frozen: its heartbeats stop.
        links.Heartbeats[0] = () => started.Elapsed < TimeSpan.FromMilliseconds(500) ? TimeSpan.Zero : started.Elapsed - TimeSpan.FromMilliseconds(500);
        using var frozen = links.Open(0, "s");
        using var receiver = links.Open(1, "s", TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromMilliseconds(300) });

        var failure = Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[8]));

        Assert.InRange(started.Elapsed.TotalMilliseconds, 780, 5000);
        Assert.Contains("neither data nor a heartbeat for 0.3 s", failure.Message);
        Assert.Contains("frozen, cut off or gone", failure.Message);
    }

    [Fact]
    public void A_peer_that_finished_its_part_fails_a_receive_waiting_for_more_at_once()
    {
        var links = new InMemoryLinks(0, 1);
        links.Heartbeats[0] = () => TimeSpan.Zero;
        var finished = links.Open(0, "s");
        using var receiver = links.Open(1, "s", TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromSeconds(30) });
        finished.AnnouncesEnd = true;
        finished.Send(1, new byte[] { 1, 2 });
        finished.Dispose();
        var clock = Stopwatch.StartNew();

        var buffer = new byte[2];
        receiver.Receive(0, buffer);
        var failure = Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[4]));

        Assert.Equal(new byte[] { 1, 2 }, buffer);
        Assert.Contains("party 0 finished its part of the session and sends nothing more", failure.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the end notice must not wait for the timeout");
        Assert.Empty(links.Rejections);
    }
}
