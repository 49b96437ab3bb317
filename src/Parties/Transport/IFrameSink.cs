using PrivateInference.Parties.Protos;


namespace PrivateInference.Parties.Transport;

/// <summary>Where a session's outgoing frames go: a live link, or a capturing fake in tests.</summary>
internal interface IFrameSink
{
    /// <summary>Queues <paramref name="message"/> without blocking; throws <c>TransportException</c> if the link is down.</summary>
    void Enqueue(LinkMessage message);

    /// <summary>How long since anything (a frame or a heartbeat) last arrived from the peer on this link, or null
    /// when the link has no heartbeats (in-memory links in tests): receives then time out on data alone.</summary>
    TimeSpan? SinceHeard => null;
}
