using System.Collections.Concurrent;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Dealer2pc;

/// <summary>The dealer's role: it never holds data, P0 never hears from it, and all it ever receives are the helper
/// gates' masked, shuffled per-bit vectors (packed elements of Z_p, which the channel reports as such).</summary>
public class Dealer2pcSchemeTests
{
    private sealed class PeerCounter(ITransport inner) : ITransport
    {
        public readonly ConcurrentDictionary<int, long> ReceivedFrom = new();
        public bool AfterSetup;
        public int PartyId => inner.PartyId;
        public void Send(int toParty, ReadOnlySpan<byte> payload) => inner.Send(toParty, payload);
        public void Receive(int fromParty, Span<byte> destination)
        {
            inner.Receive(fromParty, destination);
            int len = destination.Length;
            if (!AfterSetup) return;
            ReceivedFrom.AddOrUpdate(fromParty, len, (_, v) => v + len);
        }
        public void Dispose() => inner.Dispose();
    }

    /// <summary>Counts what the channel reports: ring payloads apart from field elements.</summary>
    private sealed class Kinds : IReceiveObserver
    {
        public long RingBytes, Elements;
        public void Bytes(int fromParty, ReadOnlySpan<byte> payload) => RingBytes += payload.Length;
        public void FieldElements(int fromParty, ReadOnlySpan<byte> elements, int prime) => Elements += elements.Length;
    }

    [Fact]
    public void Dealer_holds_no_share_receives_only_per_bit_vectors_and_P0_receives_nothing_from_it_over_a_mixed_program()
    {
        var counters = new ConcurrentDictionary<int, PeerCounter>();
        var dealer = new Kinds();
        var a = Harness.Uniform(new Random(60), 64, -4, 4);
        var res = InProcessSession.Run(SchemeKind.TwoPcDealer, InProcessSession.ComputeAndClient, ctx =>
        {
            counters[ctx.PartyId].AfterSetup = true;
            if (ctx.PartyId == 2) ctx.Channel.Observer = dealer;
            var x = ctx.Input(PartyIds.Client, [8, 8], a);
            var w = ctx.PrepareWeight(ctx.Input(PartyIds.Client, [8, 8], a));
            var y = ctx.Softmax(ctx.MatMul(ctx.Relu(x), w));
            var z = ctx.TopK(ctx.Silu(y), 2);
            var held = x.Data.C.Length;
            ctx.Reveal(ctx.Gather(z, x), PartyIds.Client);
            return held;
        }, wrap: t => counters[t.PartyId] = new PeerCounter(t));
        Assert.Equal(0, res[2]);
        Assert.True(counters[2].ReceivedFrom.Keys.All(p => p is 0 or 1), "the dealer heard from someone other than P0 and P1");
        Assert.True(dealer.RingBytes == 0, $"the dealer received {dealer.RingBytes} B other than per-bit vectors");
        Assert.True(dealer.Elements > 0, "the dealer received no per-bit vectors");
        Assert.False(counters[0].ReceivedFrom.ContainsKey(2), "P0 received from the dealer");
        Assert.True(counters[1].ReceivedFrom[2] > 0);
    }

    [Fact]
    public void Inputs_of_a_compute_party_cost_no_messages()
    {
        var res = InProcessSession.Run(SchemeKind.TwoPcDealer, [0, 1, 2], ctx =>
        {
            var before = ctx.Channel.Total;
            var x = ctx.Input(PartyIds.P0, [16], ctx.PartyId == 0 ? Enumerable.Range(0, 16).Select(i => (double)i).ToArray() : default);
            var cost = ctx.Channel.Total - before;
            return (cost, ctx.Reveal(x, PartyIds.P1));
        });
        Assert.All(res, r => Assert.Equal(0, r.cost.BytesSent));
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (double)i).ToArray(), res[1].Item2);
    }

    [Fact]
    public void Reveal_to_the_dealer_is_refused_at_every_party_before_any_message()
    {
        var res = InProcessSession.Run(SchemeKind.TwoPcDealer, [0, 1, 2], ctx =>
        {
            var x = ctx.Input(PartyIds.P0, [4], ctx.PartyId == 0 ? new double[] { 1, 2, 3, 4 } : default);
            var before = ctx.Channel.Total;
            var refused = Record.Exception(() => ctx.Reveal(x, PartyIds.P2));
            return (refused, sent: ctx.Channel.Total.BytesSent - before.BytesSent);
        });
        Assert.All(res, r =>
        {
            Assert.IsType<InvalidOperationException>(r.refused);
            Assert.Contains("no value is ever opened to the dealer", r.refused!.Message);
            Assert.Equal(0, r.sent);
        });
    }
}
