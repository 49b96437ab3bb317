using PrivateInference.Parties.Protos;

namespace PrivateInference.Parties.Transport;

/// <summary>Where a session's outgoing frames go: a live link, or a capturing fake in tests.</summary>
internal interface IFrameSink
{
    /// <summary>Queues <paramref name="message"/> without blocking; throws <c>TransportException</c> if the link is down.</summary>
    void Enqueue(LinkMessage message);
}
