using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Communication;

public class ChannelTests
{
    private static (Channel A, Channel B) Pair()
    {
        var hub = new InProcessHub([0, 1]);
        return (new Channel(hub.Endpoint(0)), new Channel(hub.Endpoint(1)));
    }

    [Fact]
    public void Counts_bytes_messages_and_rounds_on_both_ends()
    {
        var (a, b) = Pair();
        a.Send(1, new byte[10]);
        a.Send(1, new ulong[3]);
        a.Round();
        b.Receive(0, new byte[34]);
        b.Round();
        Assert.Equal(new CommStats { BytesSent = 34, MessagesSent = 2, Rounds = 1 }, a.Total);
        Assert.Equal(new CommStats { BytesReceived = 34, MessagesReceived = 1, Rounds = 1, ReceiveWaitMs = b.Total.ReceiveWaitMs }, b.Total);
        Assert.True(b.Total.ReceiveWaitMs >= 0);
    }

    [Fact]
    public void Nested_labels_count_toward_every_enclosing_label_once()
    {
        var (a, _) = Pair();
        using (a.Scope("layer"))
        {
            using (a.Scope("softmax"))
            {
                a.Send(1, new byte[5]);
                using (a.Scope("softmax")) a.Send(1, new byte[2]);
            }
            a.Send(1, new byte[1]);
        }
        a.Send(1, new byte[100]);
        Assert.Equal(8, a.ByLabel["layer"].BytesSent);
        Assert.Equal(7, a.ByLabel["softmax"].BytesSent);
        Assert.Equal(108, a.Total.BytesSent);
    }

    [Fact]
    public void Stats_subtract_to_the_cost_of_a_span_of_work()
    {
        var (a, _) = Pair();
        a.Send(1, new byte[3]);
        var before = a.Total;
        a.Send(1, new byte[4]);
        a.Round();
        var d = a.Total - before;
        Assert.Equal(4, d.BytesSent);
        Assert.Equal(1, d.Rounds);
    }
}
