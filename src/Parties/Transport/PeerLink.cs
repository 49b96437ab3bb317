using System.Diagnostics;
using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// One established bidirectional stream to one peer endpoint, shared by all sessions. Sends are queued and
/// written by a single pump (a gRPC stream allows one write at a time); received frames go to the router.
/// </summary>
internal sealed class PeerLink(int peerEndpoint, string linkId, ILogger logger, string? fingerprint = null) : IFrameSink
{
    private readonly System.Threading.Channels.Channel<LinkMessage> _outgoing =
        System.Threading.Channels.Channel.CreateUnbounded<LinkMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private volatile string? _downReason;
    private long _rejectedFrames;
    private long _lastHeard = Stopwatch.GetTimestamp();

    public int PeerEndpoint { get; } = peerEndpoint;

    /// <summary>Identifies the dialling endpoint's link; client sessions are bound to it.</summary>
    public string LinkId { get; } = linkId;

    /// <summary>The certificate the dialler presented (accepted links of a TLS cluster), null otherwise.</summary>
    public string? Fingerprint { get; } = fingerprint;

    public TimeSpan? SinceHeard => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastHeard));

    public long RejectedFrames => Interlocked.Read(ref _rejectedFrames);

    /// <summary>Why reading from the peer failed (a malformed message, a reset stream), when that ended the link.</summary>
    public Exception? ReadFailure { get; private set; }

    public void Enqueue(LinkMessage message)
    {
        if (!_outgoing.Writer.TryWrite(message))
            throw new TransportException($"link to {Endpoints.Name(PeerEndpoint)} is down: {_downReason ?? "closed"}");
    }

    /// <summary>Stops the pumps; <see cref="RunAsync"/> then returns.</summary>
    public void Close(string reason)
    {
        _downReason ??= reason;
        _outgoing.Writer.TryComplete();
        _stop.Cancel();
    }

    /// <summary>Runs until either direction ends; returns why the link went down.</summary>
    public async Task<string> RunAsync(
        IAsyncStreamReader<LinkMessage> reader, IAsyncStreamWriter<LinkMessage> writer, SessionRouter router,
        CancellationToken cancellation)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _stop.Token);
        var writing = WriteAsync(writer, both.Token);
        var reading = ReadAsync(reader, router, both.Token);
        var beating = BeatAsync(both.Token);
        var first = await Task.WhenAny(writing, reading).ConfigureAwait(false);
        if (first == reading && reading.Exception?.GetBaseException() is { } readFailure && !cancellation.IsCancellationRequested)
            ReadFailure = readFailure;
        var reason = _downReason ?? first.Exception?.GetBaseException().Message
            ?? (first == reading ? "the peer closed the link" : "the link was closed locally");
        _downReason = reason;
        _outgoing.Writer.TryComplete();
        await both.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(writing, reading, beating).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The first ending already gave the reason; the other side's cancellation adds nothing.
        }
        return reason;
    }

    private async Task WriteAsync(IAsyncStreamWriter<LinkMessage> writer, CancellationToken cancellation)
    {
        await foreach (var message in _outgoing.Reader.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            await writer.WriteAsync(message, cancellation).ConfigureAwait(false);
            // gRPC has serialized the message once the write completes, so the payload's buffer is free again. A
            // write that failed keeps its buffer (left to the collector): the stream may still hold a reference.
            if (message.Data?.PooledBuffer is { } pooled)
            {
                message.Data.PooledBuffer = null;
                FrameBuffers.Return(pooled);
            }
        }
    }

    /// <summary>Queues a heartbeat every interval while the link is up, whatever the jobs on it are doing.</summary>
    private async Task BeatAsync(CancellationToken cancellation)
    {
        using var timer = new PeriodicTimer(TransportOptions.HeartbeatInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation).ConfigureAwait(false))
            {
                if (!_outgoing.Writer.TryWrite(Heartbeat))
                    return;
            }
        }
        catch (OperationCanceledException)
        {
            // The link is going down.
        }
    }

    private static readonly LinkMessage Heartbeat = new() { Heartbeat = new LinkHeartbeat() };

    private async Task ReadAsync(IAsyncStreamReader<LinkMessage> reader, SessionRouter router, CancellationToken cancellation)
    {
        while (await reader.MoveNext(cancellation).ConfigureAwait(false))
        {
            var message = reader.Current;
            Interlocked.Exchange(ref _lastHeard, Stopwatch.GetTimestamp());
            try
            {
                switch (message.KindCase)
                {
                    case LinkMessage.KindOneofCase.Data:
                        // The session's inbox takes over the payload's pooled buffer (a rejected frame leaves it to the
                        // collector).
                        router.Deliver(PeerEndpoint, LinkId, message.Data);
                        break;
                    case LinkMessage.KindOneofCase.Abort:
                        router.DeliverAbort(PeerEndpoint, LinkId, message.Abort);
                        break;
                    case LinkMessage.KindOneofCase.Heartbeat:
                        break;
                    default:
                        throw new TransportException($"unexpected {message.KindCase} message from {Endpoints.Name(PeerEndpoint)} after the handshake");
                }
            }
            catch (TransportException rejected)
            {
                // The link stays up: one bad frame fails its own session (the router saw to that), not the others.
                Interlocked.Increment(ref _rejectedFrames);
                logger.LogWarning("{Reason}", rejected.Message);
            }
        }
    }
}
