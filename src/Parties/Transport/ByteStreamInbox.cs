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
    private readonly Queue<ReadOnlyMemory<byte>> _chunks = new();
    private int _headOffset;
    private string? _failure;
    private Exception? _failureCause;

    public long BufferedBytes { get; private set; }

    public void Append(ReadOnlyMemory<byte> chunk)
    {
        if (chunk.IsEmpty)
            return;
        lock (_gate)
        {
            if (_failure is not null)
                return;
            _chunks.Enqueue(chunk);
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

    /// <summary>Fills <paramref name="destination"/>; throws <see cref="TransportException"/> if no byte arrives for
    /// <paramref name="idleTimeout"/> or the stream failed.</summary>
    public void Read(Span<byte> destination, TimeSpan idleTimeout)
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
                var remaining = idleTimeout - Stopwatch.GetElapsedTime(idleSince);
                if (remaining <= TimeSpan.Zero)
                    throw new TransportException(
                        $"{description}: no data for {idleTimeout.TotalSeconds:0.###} s while {destination.Length - filled} " +
                        $"of {destination.Length} bytes were expected; the peer is silent or gone, or busy for longer than that " +
                        "(a large model's set-up can be: raise --timeout)");
                Monitor.Wait(_gate, remaining);
            }
        }
    }

    private int TakeBuffered(Span<byte> destination)
    {
        var head = _chunks.Peek().Span[_headOffset..];
        var n = Math.Min(head.Length, destination.Length);
        head[..n].CopyTo(destination);
        BufferedBytes -= n;
        if (n == head.Length)
        {
            _chunks.Dequeue();
            _headOffset = 0;
        }
        else
        {
            _headOffset += n;
        }
        return n;
    }
}
