using System.Runtime.InteropServices;

namespace PrivateInference.Protocols.Communication;

/// <summary>Counters of one party's traffic: application payload only (what the protocol hands the transport).</summary>
public sealed record CommStats
{
    public long BytesSent { get; init; }
    /// <summary>The part of <see cref="BytesSent"/> that depends on no data (correlated randomness a dealer or helper
    /// could send ahead of time: Beaver and truncation corrections, comparison bit shares).</summary>
    public long PreprocessingBytesSent { get; init; }
    /// <summary>Bytes sent that depend on the data: <see cref="BytesSent"/> less preprocessing.</summary>
    public long OnlineBytesSent => BytesSent - PreprocessingBytesSent;
    public long BytesReceived { get; init; }
    public long MessagesSent { get; init; }
    public long MessagesReceived { get; init; }
    /// <summary>Sequential communication steps this party took part in (see docs/protocols.md for the convention).</summary>
    public long Rounds { get; init; }
    /// <summary>Wall time spent blocked in Receive; latency minus this is the party's compute time.</summary>
    public double ReceiveWaitMs { get; init; }
    /// <summary>Wall time inside the label's scopes (per label; for the session total, 0).</summary>
    public double ElapsedMs { get; init; }

    public static CommStats operator -(CommStats a, CommStats b) => new()
    {
        BytesSent = a.BytesSent - b.BytesSent,
        PreprocessingBytesSent = a.PreprocessingBytesSent - b.PreprocessingBytesSent,
        BytesReceived = a.BytesReceived - b.BytesReceived,
        MessagesSent = a.MessagesSent - b.MessagesSent,
        MessagesReceived = a.MessagesReceived - b.MessagesReceived,
        Rounds = a.Rounds - b.Rounds,
        ReceiveWaitMs = a.ReceiveWaitMs - b.ReceiveWaitMs,
        ElapsedMs = a.ElapsedMs - b.ElapsedMs,
    };

    public override string ToString() => $"sent {BytesSent} B / {MessagesSent} msgs, received {BytesReceived} B / {MessagesReceived} msgs, {Rounds} rounds";
}

/// <summary>Sees what one endpoint receives, decoded: ring payloads as bytes, and the helper gates' per-bit vectors and
/// bit shares as the elements of Z_p they pack (what a view test checks for uniformity).</summary>
public interface IReceiveObserver
{
    void Bytes(int fromParty, ReadOnlySpan<byte> payload);
    void FieldElements(int fromParty, ReadOnlySpan<byte> elements, int prime);
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
    private readonly Dictionary<string, Counter> _labels;
    private readonly List<Counter> _stack;
    private readonly Counter _total;
    /// <summary>The roles' shift of a relabeled view (<see cref="Rotated"/>); 0 for the physical ids.</summary>
    private readonly int _shift;
    /// <summary>The channel a relabeled view counts into (its observer is that channel's); null for a channel of its own.</summary>
    private readonly Channel? _parent;

    private sealed class Counter
    {
        public long BytesSent, PreprocessingBytesSent, BytesReceived, MessagesSent, MessagesReceived, Rounds, WaitTicks, ElapsedTicks;
        public CommStats Snapshot() => new()
        {
            BytesSent = BytesSent, PreprocessingBytesSent = PreprocessingBytesSent, BytesReceived = BytesReceived, MessagesSent = MessagesSent,
            MessagesReceived = MessagesReceived, Rounds = Rounds,
            ReceiveWaitMs = WaitTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency,
            ElapsedMs = ElapsedTicks * 1000.0 / System.Diagnostics.Stopwatch.Frequency,
        };
    }

    public Channel(ITransport transport)
    {
        _transport = transport;
        _labels = new();
        _stack = new();
        _total = new();
    }

    private Channel(Channel parent, int shift)
    {
        _transport = parent._transport;
        _labels = parent._labels;
        _stack = parent._stack;
        _total = parent._total;
        _shift = shift;
        _parent = parent;
    }

    /// <summary>
    /// The same links and counters with the compute parties' roles rotated by <paramref name="shift"/>
    /// (<see cref="PartyRoles"/>): its PartyId is this party's role, and a message to or from role r goes to or comes
    /// from physical party r + shift. Everything sent through it counts here, under the same labels.
    /// </summary>
    public Channel Rotated(int shift)
    {
        if (_parent is not null) throw new InvalidOperationException("only a channel of its own is relabeled");
        return new Channel(this, PartyRoles.Normalize(shift));
    }

    /// <summary>This endpoint's id: its physical party id, or its role in a relabeled view.</summary>
    public int PartyId => PartyRoles.Role(_transport.PartyId, _shift);

    public ITransport Transport => _transport;

    public void Send(int toParty, ReadOnlySpan<byte> payload)
    {
        if (toParty == PartyId) throw new ArgumentException("a party does not send to itself");
        _transport.Send(PartyRoles.Physical(toParty, _shift), payload);
        int len = payload.Length;
        Count(c => { c.BytesSent += len; c.MessagesSent++; });
    }

    /// <summary>Sends data-independent correlated randomness: counted as sent and as preprocessing.</summary>
    public void SendPreprocessing(int toParty, ReadOnlySpan<ulong> payload)
    {
        Send(toParty, payload);
        MarkPreprocessing(payload.Length * sizeof(ulong));
    }

    /// <summary>Sends data-independent bytes (comparison bit shares): counted as sent and as preprocessing.</summary>
    public void SendPreprocessing(int toParty, ReadOnlySpan<byte> payload)
    {
        Send(toParty, payload);
        MarkPreprocessing(payload.Length);
    }

    /// <summary>Counts <paramref name="bytes"/> of what was just sent as preprocessing (a message that carries both).</summary>
    public void MarkPreprocessing(long bytes) => Count(c => c.PreprocessingBytesSent += bytes);

    /// <summary>Sees what this endpoint receives, decoded (the view tests; null: nothing is kept).</summary>
    public IReceiveObserver? Observer
    {
        get => _parent is null ? _observer : _parent.Observer;
        set { if (_parent is null) _observer = value; else _parent.Observer = value; }
    }
    private IReceiveObserver? _observer;

    public void Receive(int fromParty, Span<byte> destination)
    {
        ReceiveEncoded(fromParty, destination);
        Observer?.Bytes(PartyRoles.Physical(fromParty, _shift), destination);
    }

    /// <summary>Receives a payload that its caller decodes and reports through <see cref="ReportElements"/> (packed
    /// field elements): counted like any other, not reported as bytes.</summary>
    public void ReceiveEncoded(int fromParty, Span<byte> destination)
    {
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _transport.Receive(PartyRoles.Physical(fromParty, _shift), destination);
        long waited = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
        int len = destination.Length;
        Count(c => { c.BytesReceived += len; c.MessagesReceived++; c.WaitTicks += waited; });
    }

    /// <summary>Reports the field elements a payload of <see cref="ReceiveEncoded"/> carried to the observer.</summary>
    public void ReportElements(int fromParty, ReadOnlySpan<byte> elements, int prime) => Observer?.FieldElements(PartyRoles.Physical(fromParty, _shift), elements, prime);

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
        private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            int i = owner._stack.LastIndexOf(c);
            if (i >= 0) owner._stack.RemoveAt(i);
            // A label entered again inside itself (recursion) counts its time once, at the outermost scope.
            if (!owner._stack.Contains(c)) c.ElapsedTicks += System.Diagnostics.Stopwatch.GetTimestamp() - _start;
        }
    }
}
