using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Tests;

public class EmulatedLinkScheduleTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_message_on_an_idle_link_arrives_after_its_transmission_time_plus_the_delay()
    {
        var link = new EmulatedLinkSchedule(NetworkProfile.Wan);

        var arrival = link.Book(Ms(100), 125_000);

        Assert.Equal(100 + 10 + 20, arrival.TotalMilliseconds, 6);
    }

    [Fact]
    public void Back_to_back_messages_queue_behind_each_other_at_the_capped_bandwidth()
    {
        var link = new EmulatedLinkSchedule(NetworkProfile.Lan);

        var first = link.Book(Ms(0), 125_000);
        var second = link.Book(Ms(0), 125_000);
        var third = link.Book(Ms(0.5), 125_000);

        Assert.Equal(1 + 0.5, first.TotalMilliseconds, 6);
        Assert.Equal(2 + 0.5, second.TotalMilliseconds, 6);
        Assert.Equal(3 + 0.5, third.TotalMilliseconds, 6);
    }

    [Fact]
    public void A_link_that_went_idle_does_not_bank_unused_bandwidth()
    {
        var link = new EmulatedLinkSchedule(NetworkProfile.Lan);

        link.Book(Ms(0), 125_000);
        var later = link.Book(Ms(50), 125_000);

        Assert.Equal(50 + 1 + 0.5, later.TotalMilliseconds, 6);
    }

    [Fact]
    public void Delay_only_links_deliver_each_message_one_delay_after_it_was_sent()
    {
        var link = new EmulatedLinkSchedule(NetworkProfile.Parse("none", delayMs: 7));

        Assert.Equal(7, link.Book(Ms(0), 1 << 20).TotalMilliseconds, 6);
        Assert.Equal(8, link.Book(Ms(1), 1 << 20).TotalMilliseconds, 6);
    }
}
