using Google.Protobuf;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Tests;

public class FrameRejectionTests
{
    private static readonly TransportOptions ShortTimeout = TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromSeconds(5) };

    private static DataFrame Frame(string session, ulong sequence, params byte[] payload) =>
        new() { SessionId = session, Sequence = sequence, Payload = ByteString.CopyFrom(payload) };

    private static GrpcTransport Receiver(out SessionRouter router)
    {
        router = new SessionRouter();
        return router.Open("s", 1, [0, 1], new Dictionary<int, string>(), _ => new CapturingSink(), ShortTimeout);
    }

    [Fact]
    public void An_out_of_order_frame_is_rejected_and_fails_the_stream_from_that_peer()
    {
        using var receiver = Receiver(out var router);
        router.Deliver(0, "l", Frame("s", 0, 1, 2));

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(0, "l", Frame("s", 2, 3)));
        Assert.Contains("out of order frame 2 (expected frame 1)", rejection.Message);

        var buffer = new byte[2];
        receiver.Receive(0, buffer);
        Assert.Equal(new byte[] { 1, 2 }, buffer);
        var failure = Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[1]));
        Assert.Contains("out of order", failure.Message);
    }

    [Fact]
    public void An_empty_frame_is_rejected_and_fails_the_stream()
    {
        using var receiver = Receiver(out var router);

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(0, "l", Frame("s", 0)));

        Assert.Contains("rejected empty frame 0", rejection.Message);
        Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[1]));
    }

    [Fact]
    public void A_frame_larger_than_the_chunk_limit_is_rejected_and_fails_the_stream()
    {
        var router = new SessionRouter();
        using var receiver = router.Open("s", 1, [0, 1], new Dictionary<int, string>(), _ => null, ShortTimeout with { MaxChunkBytes = 4 });
        router.Deliver(0, "l", Frame("s", 0, 1, 2, 3, 4));

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(0, "l", Frame("s", 1, 1, 2, 3, 4, 5)));

        Assert.Contains("rejected frame 1 of 5 bytes (frames carry at most 4)", rejection.Message);
        receiver.Receive(0, new byte[4]);
        Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[1]));
    }

    [Fact]
    public void A_replayed_frame_is_rejected()
    {
        using var receiver = Receiver(out var router);
        router.Deliver(0, "l", Frame("s", 0, 1));
        router.Deliver(0, "l", Frame("s", 1, 2));

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(0, "l", Frame("s", 0, 1)));

        Assert.Contains("replayed frame 0 (expected frame 2)", rejection.Message);
        Assert.Throws<TransportException>(() => receiver.Receive(0, new byte[3]));
    }

    [Fact]
    public void A_frame_for_an_unknown_session_is_rejected_without_touching_open_sessions()
    {
        using var receiver = Receiver(out var router);

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(0, "l", Frame("other", 0, 9)));
        router.Deliver(0, "l", Frame("s", 0, 5));

        Assert.Contains("unknown session 'other'", rejection.Message);
        var buffer = new byte[1];
        receiver.Receive(0, buffer);
        Assert.Equal(5, buffer[0]);
    }

    [Fact]
    public void A_frame_for_a_closed_session_is_rejected_as_such()
    {
        var receiver = Receiver(out var router);
        receiver.Dispose();

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(0, "l", Frame("s", 0, 1)));

        Assert.Contains("session 's', which is already closed", rejection.Message);
    }

    [Fact]
    public void An_abort_notice_for_a_session_already_closed_is_ignored()
    {
        var receiver = Receiver(out var router);
        receiver.Dispose();

        var error = Record.Exception(() => router.DeliverAbort(0, "l", new SessionAbort { SessionId = "s", Reason = "late" }));

        Assert.Null(error);
    }

    [Fact]
    public void An_abort_notice_for_an_unknown_session_is_rejected()
    {
        using var receiver = Receiver(out var router);

        var rejection = Assert.Throws<TransportException>(() =>
            router.DeliverAbort(0, "l", new SessionAbort { SessionId = "never", Reason = "?" }));

        Assert.Contains("abort notice from party 0 for unknown session 'never'", rejection.Message);
    }

    [Fact]
    public void A_closed_session_id_cannot_be_opened_again()
    {
        var receiver = Receiver(out var router);
        receiver.Dispose();

        Assert.Throws<InvalidOperationException>(() =>
            router.Open("s", 1, [0, 1], new Dictionary<int, string>(), _ => null, ShortTimeout));
    }

    [Fact]
    public void A_frame_carrying_another_session_id_is_rejected_by_the_session()
    {
        using var receiver = Receiver(out _);

        var rejection = Assert.Throws<TransportException>(() => receiver.Accept(0, Frame("intruder", 0, 1)));

        Assert.Contains("rejected a frame of session 'intruder'", rejection.Message);
    }

    [Fact]
    public void A_frame_from_an_endpoint_outside_the_session_is_rejected()
    {
        using var receiver = Receiver(out var router);

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(2, "l", Frame("s", 0, 1)));

        Assert.Contains("party 2, which is not part of the session", rejection.Message);
    }

    [Fact]
    public void A_client_frame_on_a_link_not_bound_to_the_session_is_rejected()
    {
        var router = new SessionRouter();
        using var session = router.Open("s", 0, [0, 1, Endpoints.Client],
            new Dictionary<int, string> { [Endpoints.Client] = "client-link-a" }, _ => null, ShortTimeout);

        var rejection = Assert.Throws<TransportException>(() => router.Deliver(Endpoints.Client, "client-link-b", Frame("s", 0, 1)));
        router.Deliver(Endpoints.Client, "client-link-a", Frame("s", 0, 7));

        Assert.Contains("not bound to the session", rejection.Message);
        var buffer = new byte[1];
        session.Receive(Endpoints.Client, buffer);
        Assert.Equal(7, buffer[0]);
    }

    [Fact]
    public void An_abort_from_a_peer_fails_receives_from_it_with_the_peers_reason()
    {
        var links = new InMemoryLinks(0, 1);
        using var failing = links.Open(0, "s");
        using var waiting = links.Open(1, "s", ShortTimeout);

        failing.Abort("exchange-check failed at party 0: bad argument");

        var failure = Assert.Throws<TransportException>(() => waiting.Receive(0, new byte[8]));
        Assert.Contains("party 0 aborted the session: exchange-check failed at party 0: bad argument", failure.Message);
    }
}
