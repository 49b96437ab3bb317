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
}
