using System.Collections.Concurrent;
using System.Diagnostics;
using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Tests;

/// <summary>An inner transport that records when each message reached it.</summary>
internal sealed class RecordingTransport : ITransport
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ConcurrentQueue<(int To, byte[] Payload, TimeSpan At)> Sent { get; } = new();

    public bool Disposed { get; private set; }

    public int PartyId => 0;

    public TimeSpan Now => _clock.Elapsed;

    public void Send(int toParty, ReadOnlySpan<byte> payload) => Sent.Enqueue((toParty, payload.ToArray(), _clock.Elapsed));

    public void Receive(int fromParty, Span<byte> destination) => destination.Clear();

    public void Dispose() => Disposed = true;
}
