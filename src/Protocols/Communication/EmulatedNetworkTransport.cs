using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace PrivateInference.Protocols.Communication;

/// <summary>
/// An emulated network between parties: a one-way delay per message and a bandwidth cap per directed link.
/// Emulated in the transport because <c>tc netem</c> is not available on the machines this runs on, so run
/// reports must say that the figures come from emulation (<see cref="Description"/>).
/// </summary>
public sealed record NetworkProfile(string Name, double OneWayDelayMs, double BandwidthMbitPerSecond)
{
    public static readonly NetworkProfile None = new("none", 0, double.PositiveInfinity);
    public static readonly NetworkProfile Lan = new("lan", 0.5, 1000);
    public static readonly NetworkProfile Wan = new("wan", 20, 100);

    /// <summary>True when messages go through untouched (no delay, no bandwidth cap).</summary>
    public bool IsIdeal => OneWayDelayMs <= 0 && double.IsPositiveInfinity(BandwidthMbitPerSecond);

    public TimeSpan OneWayDelay => TimeSpan.FromMilliseconds(OneWayDelayMs);

    /// <summary>How long <paramref name="bytes"/> occupy a link at the capped bandwidth.</summary>
    public TimeSpan TransmissionTime(long bytes) =>
        double.IsPositiveInfinity(BandwidthMbitPerSecond)
            ? TimeSpan.Zero
            : TimeSpan.FromSeconds(bytes * 8.0 / (BandwidthMbitPerSecond * 1e6));

    /// <summary>The network's share of an op's time: one delay per round plus the busiest party's bytes at the capped
    /// bandwidth (compute comes on top).</summary>
    public double FloorMs(long rounds, long bytes) => rounds * OneWayDelayMs + TransmissionTime(bytes).TotalMilliseconds;

    /// <summary>One line for run reports.</summary>
    public string Description => IsIdeal
        ? "none (no emulation: raw transport)"
        : string.Create(CultureInfo.InvariantCulture,
            $"{Name} (emulated in the transport: {FormatBandwidth()}, {OneWayDelayMs:0.###} ms one-way delay per message)");

    private string FormatBandwidth() => double.IsPositiveInfinity(BandwidthMbitPerSecond)
        ? "unlimited bandwidth"
        : string.Create(CultureInfo.InvariantCulture, $"{BandwidthMbitPerSecond:0.###} Mbit/s");

    /// <summary>
    /// Resolves the command-line form: a preset (<c>none|lan|wan</c>) that explicit <paramref name="delayMs"/> and
    /// <paramref name="bandwidthMbit"/> override. Throws <see cref="ArgumentException"/> with a user-facing message.
    /// </summary>
    public static NetworkProfile Parse(string? preset, double? delayMs = null, double? bandwidthMbit = null)
    {
        var basis = (preset ?? "none").Trim().ToLowerInvariant() switch
        {
            "none" or "" => None,
            "lan" => Lan,
            "wan" => Wan,
            var other => throw new ArgumentException($"unknown network '{other}': use none, lan or wan"),
        };
        if (delayMs is { } d && (d < 0 || !double.IsFinite(d)))
            throw new ArgumentException($"--delay-ms must be a finite number >= 0, not {d}");
        if (bandwidthMbit is { } b && (b <= 0 || double.IsNaN(b)))
            throw new ArgumentException($"--bandwidth must be > 0 Mbit/s, not {b}");
        if (delayMs is null && bandwidthMbit is null)
            return basis;
        var custom = basis with
        {
            OneWayDelayMs = delayMs ?? basis.OneWayDelayMs,
            BandwidthMbitPerSecond = bandwidthMbit ?? basis.BandwidthMbitPerSecond,
        };
        return custom with { Name = basis == None ? "custom" : basis.Name + "+custom" };
    }
}

/// <summary>
/// The timing of one directed link: messages leave one after another at the capped bandwidth (a message waits
/// while an earlier one is still being serialised) and arrive one delay later. Pure arithmetic on a clock
/// reading, so the model can be tested without sleeping.
/// </summary>
public sealed class EmulatedLinkSchedule(NetworkProfile profile)
{
    private TimeSpan _busyUntil = TimeSpan.MinValue;

    /// <summary>Books <paramref name="bytes"/> sent at <paramref name="now"/>; returns when they reach the peer.</summary>
    public TimeSpan Book(TimeSpan now, long bytes)
    {
        var start = now > _busyUntil ? now : _busyUntil;
        _busyUntil = start + profile.TransmissionTime(bytes);
        return _busyUntil + profile.OneWayDelay;
    }
}

/// <summary>
/// Decorates any <see cref="ITransport"/> with an emulated network. Send returns at once (as with a socket
/// buffer); a per-peer delivery thread hands each message to the inner transport when the link model says it
/// arrives, so per-pair FIFO order is kept and the receiver needs no change. The inner transport's
/// <see cref="ITransport.Send"/> is therefore called from those delivery threads, one thread per peer.
/// </summary>
public sealed class EmulatedNetworkTransport : ITransport
{
    private readonly ITransport _inner;
    private readonly NetworkProfile _profile;
    private readonly ConcurrentDictionary<int, DeliveryLine> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile Exception? _deliveryFailure;
    private bool _disposed;

    public EmulatedNetworkTransport(ITransport inner, NetworkProfile profile)
    {
        _inner = inner;
        _profile = profile;
    }

    public int PartyId => _inner.PartyId;

    public NetworkProfile Profile => _profile;

    public void Send(int toParty, ReadOnlySpan<byte> payload)
    {
        ThrowIfDeliveryFailed();
        if (_profile.IsIdeal)
        {
            _inner.Send(toParty, payload);
            return;
        }
        if (payload.IsEmpty)
            return;
        var line = _lines.GetOrAdd(toParty, peer => new DeliveryLine(this, peer));
        line.Enqueue(payload.ToArray(), _clock.Elapsed);
    }

    public void Receive(int fromParty, Span<byte> destination)
    {
        ThrowIfDeliveryFailed();
        _inner.Receive(fromParty, destination);
    }

    /// <summary>Delivers what is still on the emulated wire, then disposes the inner transport.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var line in _lines.Values)
            line.CompleteAndWait();
        _inner.Dispose();
    }

    private void ThrowIfDeliveryFailed()
    {
        if (_deliveryFailure is { } failure)
            throw failure as TransportException ?? new TransportException("emulated network delivery failed: " + failure.Message, failure);
    }

    private void WaitUntil(TimeSpan due) => PreciseSleep.Until(_clock, due);

    private sealed class DeliveryLine
    {
        private readonly EmulatedNetworkTransport _owner;
        private readonly int _peer;
        private readonly EmulatedLinkSchedule _schedule;
        private readonly BlockingCollection<(byte[] Payload, TimeSpan Arrival)> _queue = new();
        private readonly Thread _thread;

        public DeliveryLine(EmulatedNetworkTransport owner, int peer)
        {
            _owner = owner;
            _peer = peer;
            _schedule = new EmulatedLinkSchedule(owner._profile);
            _thread = new Thread(Deliver) { IsBackground = true, Name = $"emulated link {owner.PartyId}->{peer}" };
            _thread.Start();
        }

        public void Enqueue(byte[] payload, TimeSpan now)
        {
            // Booking and queueing under one lock keeps queue order equal to booking order.
            lock (_schedule)
                _queue.Add((payload, _schedule.Book(now, payload.Length)));
        }

        public void CompleteAndWait()
        {
            _queue.CompleteAdding();
            _thread.Join();
        }

        private void Deliver()
        {
            PreciseSleep.TightenTimerSlack();
            foreach (var (payload, arrival) in _queue.GetConsumingEnumerable())
            {
                if (_owner._deliveryFailure is not null)
                    continue;
                try
                {
                    _owner.WaitUntil(arrival);
                    _owner._inner.Send(_peer, payload);
                }
                catch (Exception e)
                {
                    _owner._deliveryFailure = e;
                }
            }
        }
    }
}
