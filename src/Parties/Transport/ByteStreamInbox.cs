using System.Diagnostics;
using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Transport;

/// <summary>
/// The bytes one endpoint has received from one peer inside one session, as a FIFO stream: frames are appended
/// by the link's reader, and <see cref="Read"/> blocks until exactly the requested number of bytes is there.
/// </summary>
internal sealed class ByteStreamInbox(string description)
{
    private readonly object _gate = new();
    private readonly Queue<(ReadOnlyMemory<byte> Bytes, byte[]? Pooled)> _chunks = new();
    private int _headOffset;
    private string? _failure;
    private Exception? _failureCause;

    public long BufferedBytes { get; private set; }

    /// <param name="pooled">The <see cref="FrameBuffers"/> array under <paramref name="chunk"/>, if any: the inbox
    /// gives it back once the chunk's bytes are read (or at once, if they never will be).</param>
    public void Append(ReadOnlyMemory<byte> chunk, byte[]? pooled = null)
    {
        lock (_gate)
        {
            if (_failure is not null || chunk.IsEmpty)
            {
                if (pooled is not null)
                    FrameBuffers.Return(pooled);
                return;
            }
            _chunks.Enqueue((chunk, pooled));
            BufferedBytes += chunk.Length;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Makes readers fail once the bytes that did arrive are consumed; the first reason wins.</summary>
    public void Fail(string reason, Exception? cause = null)
    {
        lock (_gate)
        {
            if (_failure is not null)
                return;
            _failure = reason;
            _failureCause = cause;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Fills <paramref name="destination"/>; throws <see cref="TransportException"/> if the stream failed, or if
    /// for <paramref name="idleTimeout"/> no byte arrived and (when <paramref name="sinceHeard"/> says) the peer's link
    /// carried nothing either, not even a heartbeat: a peer that is busy computing is waited for, a silent one is not.</summary>
    public void Read(Span<byte> destination, TimeSpan idleTimeout, Func<TimeSpan?>? sinceHeard = null)
    {
        var filled = 0;
        lock (_gate)
        {
            var idleSince = Stopwatch.GetTimestamp();
            while (filled < destination.Length)
            {
                if (_chunks.Count > 0)
                {
                    filled += TakeBuffered(destination[filled..]);
                    idleSince = Stopwatch.GetTimestamp();
                    continue;
                }
                if (_failure is not null)
                    throw new TransportException(
                        $"{description}: {_failure} ({destination.Length - filled} of {destination.Length} bytes still expected)",
                        _failureCause);
                var silent = Stopwatch.GetElapsedTime(idleSince);
                var heartbeats = sinceHeard?.Invoke();
                if (heartbeats is { } heard && heard < silent)
                    silent = heard;
                var remaining = idleTimeout - silent;
                if (remaining <= TimeSpan.Zero)
                    throw new TransportException(heartbeats is null
                        ? $"{description}: no data for {idleTimeout.TotalSeconds:0.###} s while {destination.Length - filled} " +
                          $"of {destination.Length} bytes were expected; the peer is silent or gone"
                        : $"{description}: neither data nor a heartbeat for {idleTimeout.TotalSeconds:0.###} s while " +
                          $"{destination.Length - filled} of {destination.Length} bytes were expected; the peer is frozen, cut off or gone");
                // Woken early by new bytes or a failure; otherwise the check above runs again when the silence would
                // reach the timeout, and a heartbeat heard meanwhile pushes that moment back.
                Monitor.Wait(_gate, remaining);
            }
        }
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var (bytes, pooled) = _chunks.Peek();
        var head = bytes.Span[_headOffset..];
        var n = Math.Min(head.Length, destination.Length);
        head[..n].CopyTo(destination);
        BufferedBytes -= n;
        if (n == head.Length)
        {
            _chunks.Dequeue();
            _headOffset = 0;
            if (pooled is not null)
                FrameBuffers.Return(pooled);
        }
        else
        {
            _headOffset += n;
        }
        return n;
    }
}
