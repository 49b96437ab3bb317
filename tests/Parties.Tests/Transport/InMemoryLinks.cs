using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Tests;

/// <summary>
/// Routers for a few endpoints wired together without gRPC: a frame sent from one endpoint is handed straight
/// to the receiver's router, as a link's reader would. Frames can also be captured instead, to tamper with them.
/// </summary>
internal sealed class InMemoryLinks
{
    private readonly Dictionary<int, SessionRouter> _routers = new();

    public InMemoryLinks(params int[] endpoints)
    {
        foreach (var endpoint in endpoints)
            _routers[endpoint] = new SessionRouter();
    }

    /// <summary>Rejections raised while delivering, as a link reader would log them.</summary>
    public List<TransportException> Rejections { get; } = [];

    public SessionRouter Router(int endpoint) => _routers[endpoint];

    /// <summary>Stands in for a live link's heartbeats: how long since the given sender was last heard from. Senders
    /// not named here have no heartbeats, so receives from them time out on data alone.</summary>
    public Dictionary<int, Func<TimeSpan?>> Heartbeats { get; } = new();

    public GrpcTransport Open(int endpoint, string sessionId, TransportOptions? options = null) =>
        _routers[endpoint].Open(sessionId, endpoint, _routers.Keys, new Dictionary<int, string>(),
            to => new DeliveringSink(this, endpoint, to), options ?? TransportOptions.Default);

    public void Deliver(int from, int to, LinkMessage message)
    {
        try
        {
            if (message.Data is not null)
                _routers[to].Deliver(from, LinkId(from), message.Data);
            else
                _routers[to].DeliverAbort(from, LinkId(from), message.Abort);
        }
        catch (TransportException e)
        {
            Rejections.Add(e);
        }
    }

    public static string LinkId(int endpoint) => $"link-{endpoint}";

    private sealed class DeliveringSink(InMemoryLinks links, int from, int to) : IFrameSink
    {
        public void Enqueue(LinkMessage message) => links.Deliver(from, to, message);

        // The receiver asks its route to the peer, so the heartbeats of `to` (the peer) are what it hears.
        public TimeSpan? SinceHeard => links.Heartbeats.TryGetValue(to, out var heard) ? heard() : null;
    }
}

/// <summary>Keeps every frame instead of delivering it.</summary>
internal sealed class CapturingSink : IFrameSink
{
    public List<LinkMessage> Messages { get; } = [];

    public void Enqueue(LinkMessage message) => Messages.Add(message);
}
