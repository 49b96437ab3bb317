using System.Collections.Concurrent;

namespace PrivateInference.Protocols.Communication;

/// <summary>
/// Parties as threads of one process: one FIFO byte queue per ordered pair. Send copies and never blocks
/// (unbounded, like a socket with a large buffer), so a protocol step "everyone sends, then everyone receives"
/// cannot deadlock. A hub is one session; endpoints are handed to the party threads.
/// </summary>
public sealed class InProcessHub
{
    private readonly ConcurrentDictionary<(int From, int To), Pipe> _pipes = new();
    private readonly HashSet<int> _parties;
    private volatile bool _closed;

    public InProcessHub(IEnumerable<int> partyIds, TimeSpan? receiveTimeout = null)
    {
        _parties = partyIds.ToHashSet();
        ReceiveTimeout = receiveTimeout ?? DefaultReceiveTimeout;
    }

    public TimeSpan ReceiveTimeout { get; }

    /// <summary>How long a party waits for a peer thread by default. Only a bug (a deadlock) stalls a peer here: a
    /// failing party closes the hub at once. So the wait need only end a hang; it must not end a legal wait, as the
    /// client's through a whole prefill, which on a loaded 2-core machine took over the 120 s this once was (the
    /// private MPCache generation test failed so, intermittently).</summary>
    public static readonly TimeSpan DefaultReceiveTimeout = TimeSpan.FromMinutes(10);

    public IReadOnlyCollection<int> Parties => _parties;

    public ITransport Endpoint(int partyId)
    {
        if (!_parties.Contains(partyId)) throw new ArgumentException($"party {partyId} is not in this hub");
        return new Endpoint_(this, partyId);
    }

    /// <summary>Wakes every blocked receiver with a <see cref="TransportException"/> (a party failed).</summary>
    public void Close()
    {
        _closed = true;
        foreach (var p in _pipes.Values) lock (p) Monitor.PulseAll(p);
    }

    private Pipe Get(int from, int to) => _pipes.GetOrAdd((from, to), _ => new Pipe());

    private sealed class Pipe
    {
        public readonly Queue<byte[]> Chunks = new();
        public int Offset;
    }

    private sealed class Endpoint_(InProcessHub hub, int id) : ITransport
    {
        public int PartyId => id;

        public void Send(int toParty, ReadOnlySpan<byte> payload)
        {
            if (hub._closed) throw new TransportException("session closed");
            if (!hub._parties.Contains(toParty)) throw new TransportException($"party {toParty} is not in this session");
            if (payload.Length == 0) return;
            var p = hub.Get(id, toParty);
            var copy = payload.ToArray();
            lock (p)
            {
                p.Chunks.Enqueue(copy);
                Monitor.PulseAll(p);
            }
        }

        public void Receive(int fromParty, Span<byte> destination)
        {
            var p = hub.Get(fromParty, id);
            int filled = 0;
            var deadline = DateTime.UtcNow + hub.ReceiveTimeout;
            lock (p)
            {
                while (filled < destination.Length)
                {
                    while (p.Chunks.Count == 0)
                    {
                        if (hub._closed) throw new TransportException("session closed while receiving");
                        var left = deadline - DateTime.UtcNow;
                        if (left <= TimeSpan.Zero || !Monitor.Wait(p, left) && p.Chunks.Count == 0 && DateTime.UtcNow >= deadline)
                            throw new TransportException($"party {id}: timed out waiting for party {fromParty}");
                    }
                    var head = p.Chunks.Peek();
                    int take = Math.Min(head.Length - p.Offset, destination.Length - filled);
                    head.AsSpan(p.Offset, take).CopyTo(destination[filled..]);
                    filled += take;
                    p.Offset += take;
                    if (p.Offset == head.Length) { p.Chunks.Dequeue(); p.Offset = 0; }
                }
            }
        }

        public void Dispose() { }
    }
}
