using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Tests;

public class GrpcTransportFramingTests
{
    private static readonly TransportOptions SmallChunks = TransportOptions.Default with { MaxChunkBytes = 1000 };

    [Fact]
    public void A_large_send_is_split_into_numbered_frames_under_the_chunk_limit()
    {
        var sink = new CapturingSink();
        using var sender = new GrpcTransport("s", 0, [0, 1], _ => sink, SmallChunks);

        sender.Send(1, new byte[3500]);

        var frames = sink.Messages.Select(m => m.Data).ToArray();
        Assert.Equal([1000, 1000, 1000, 500], frames.Select(f => f.Payload.Length));
        Assert.Equal([0UL, 1UL, 2UL, 3UL], frames.Select(f => f.Sequence));
        Assert.All(frames, f => Assert.Equal("s", f.SessionId));
    }

    [Fact]
    public void Frames_reassemble_into_the_sent_bytes_whatever_the_read_sizes()
    {
        var links = new InMemoryLinks(0, 1);
        using var sender = links.Open(0, "s", SmallChunks);
        using var receiver = links.Open(1, "s", SmallChunks);
        var first = Enumerable.Range(0, 2500).Select(i => (byte)i).ToArray();
        var second = Enumerable.Range(0, 1700).Select(i => (byte)(i * 7)).ToArray();

        sender.Send(1, first);
        sender.Send(1, second);
        var received = new byte[first.Length + second.Length];
        receiver.Receive(0, received.AsSpan(0, 3));
        receiver.Receive(0, received.AsSpan(3, 2996));
        receiver.Receive(0, received.AsSpan(2999));

        Assert.Equal(first.Concat(second), received);
        Assert.Empty(links.Rejections);
    }

    [Fact]
    public void The_sender_may_reuse_its_buffer_as_soon_as_send_returns()
    {
        var links = new InMemoryLinks(0, 1);
        using var sender = links.Open(0, "s");
        using var receiver = links.Open(1, "s");
        var buffer = new byte[] { 1, 2, 3 };

        sender.Send(1, buffer);
        buffer[0] = 99;
        var received = new byte[3];
        receiver.Receive(0, received);

        Assert.Equal(new byte[] { 1, 2, 3 }, received);
    }

    [Fact]
    public void Empty_sends_put_nothing_on_the_wire()
    {
        var sink = new CapturingSink();
        using var sender = new GrpcTransport("s", 0, [0, 1], _ => sink, TransportOptions.Default);

        sender.Send(1, ReadOnlySpan<byte>.Empty);

        Assert.Empty(sink.Messages);
    }

    [Fact]
    public void Sending_to_an_endpoint_outside_the_session_is_a_programming_error()
    {
        using var sender = new GrpcTransport("s", 0, [0, 1], _ => new CapturingSink(), TransportOptions.Default);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sender.Send(2, new byte[1]));
        Assert.Contains("party 2", error.Message);
    }

    [Fact]
    public void Each_peer_has_its_own_sequence()
    {
        var sink = new CapturingSink();
        using var sender = new GrpcTransport("s", 0, [0, 1, 2, Endpoints.Client], _ => sink, TransportOptions.Default);

        sender.Send(1, new byte[1]);
        sender.Send(2, new byte[1]);
        sender.Send(1, new byte[1]);
        sender.Send(Endpoints.Client, new byte[1]);

        Assert.Equal([0UL, 0UL, 1UL, 0UL], sink.Messages.Select(m => m.Data.Sequence));
    }

    [Fact]
    public void Frames_carry_the_payload_of_their_own_chunk()
    {
        var sink = new CapturingSink();
        using var sender = new GrpcTransport("s", 0, [0, 1], _ => sink, SmallChunks);
        var payload = Enumerable.Range(0, 1500).Select(i => (byte)(i % 251)).ToArray();

        sender.Send(1, payload);

        Assert.Equal(payload, sink.Messages.SelectMany(m => m.Data.Payload.ToByteArray()));
        Assert.All(sink.Messages, m => Assert.Equal(LinkMessage.KindOneofCase.Data, m.KindCase));
    }
}
