using System.Runtime.InteropServices;

namespace PrivateInference.Protocols.Communication;

/// <summary>Counters of one party's traffic: application payload only (what the protocol hands the transport).</summary>
public sealed record CommStats
{
    public long BytesSent { get; init; }
    public long BytesReceived { get; init; }
    public long MessagesSent { get; init; }
    public long MessagesReceived { get; init; }
    /// <summary>Sequential communication steps this party took part in (see docs/protocols.md for the convention).</summary>
    public long Rounds { get; init; }
    /// <summary>Wall time spent blocked in Receive; latency minus this is the party's compute time.</summary>
    public double ReceiveWaitMs { get; init; }

    public static CommStats operator -(CommStats a, CommStats b) => new()
    {
        BytesSent = a.BytesSent - b.BytesSent,
        BytesReceived = a.BytesReceived - b.BytesReceived,
        MessagesSent = a.MessagesSent - b.MessagesSent,
        MessagesReceived = a.MessagesReceived - b.MessagesReceived,
        Rounds = a.Rounds - b.Rounds,
        ReceiveWaitMs = a.ReceiveWaitMs - b.ReceiveWaitMs,
    };

    public override string ToString() => $"sent {BytesSent} B / {MessagesSent} msgs, received {BytesReceived} B / {MessagesReceived} msgs, {Rounds} rounds";
}

/// <summary>One party's view of the session's links, with byte/message/round accounting per operation label.</summary>
public interface IChannel
{
    int PartyId { get; }
    void Send(int toParty, ReadOnlySpan<byte> payload);
    void Receive(int fromParty, Span<byte> destination);
    /// <summary>Marks one sequential communication step of the running protocol.</summary>
    void Round();
    /// <summary>Opens a label; traffic inside is counted under it (and under every enclosing label) until disposed.</summary>
    IDisposable Scope(string label);
    CommStats Total { get; }
    IReadOnlyDictionary<string, CommStats> ByLabel { get; }
}

/// <summary>
/// Wraps an <see cref="ITransport"/> and counts. Labels nest: an "exp" inside "softmax" counts toward both,
/// so a caller can read the cost of a whole layer and of each op in it. Each message is one transport Send.
/// </summary>
public sealed class Channel : IChannel
{
    private readonly ITransport _transport;
    private readonly Dictionary<string, Counter> _labels = new();
    private readonly List<Counter> _stack = new();
    private readonly Counter _total = new();

    private sealed class Counter
    {
        public long BytesSent, BytesReceived, MessagesSent, MessagesReceived, Rounds, WaitTicks;
        public CommStats Snapshot() => new()
        {
            BytesSent = BytesSent, BytesReceived = BytesReceived, MessagesSent = MessagesSent,
            MessagesReceived = MessagesReceived, Rounds = Rounds,
            ReceiveWaitMs = WaitTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency,
        };
    }

    public Channel(ITransport transport) => _transport = transport;

    public int PartyId => _transport.PartyId;

    public ITransport Transport => _transport;

    public void Send(int toParty, ReadOnlySpan<byte> payload)
    {
        if (toParty == PartyId) throw new ArgumentException("a party does not send to itself");
        _transport.Send(toParty, payload);
        int len = payload.Length;
        Count(c => { c.BytesSent += len; c.MessagesSent++; });
    }

    public void Receive(int fromParty, Span<byte> destination)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _transport.Receive(fromParty, destination);
        long waited = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        int len = destination.Length;
        Count(c => { c.BytesReceived += len; c.MessagesReceived++; c.WaitTicks += waited; });
    }

    public void Send(int toParty, ReadOnlySpan<ulong> payload) => Send(toParty, MemoryMarshal.AsBytes(payload));

    public void Receive(int fromParty, Span<ulong> destination) => Receive(fromParty, MemoryMarshal.AsBytes(destination));

    public ulong[] ReceiveUlongs(int fromParty, int count)
    {
        var r = new ulong[count];
        Receive(fromParty, r);
        return r;
    }

    public void Round() => Count(c => c.Rounds++);

    public IDisposable Scope(string label)
    {
        if (!_labels.TryGetValue(label, out var c)) _labels[label] = c = new Counter();
        _stack.Add(c);
        return new ScopeHandle(this, c);
    }

    public CommStats Total => _total.Snapshot();

    public IReadOnlyDictionary<string, CommStats> ByLabel => _labels.ToDictionary(kv => kv.Key, kv => kv.Value.Snapshot());

    private void Count(Action<Counter> f)
    {
        f(_total);
        // A label entered twice in one nest (recursion) is counted once.
        for (int i = 0; i < _stack.Count; i++)
        {
            bool seen = false;
            for (int j = 0; j < i; j++) if (ReferenceEquals(_stack[j], _stack[i])) { seen = true; break; }
            if (!seen) f(_stack[i]);
        }
    }

    private sealed class ScopeHandle(Channel owner, Counter c) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            int i = owner._stack.LastIndexOf(c);
            if (i >= 0) owner._stack.RemoveAt(i);
        }
    }
}
