using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Communication;

public class PairwiseKeysTests
{
    private static PairwiseKeys[] Establish(int[] parties, string label = "")
    {
        var hub = new InProcessHub(parties);
        var keys = new PairwiseKeys[parties.Length];
        var threads = parties.Select((p, i) => new Thread(() => keys[i] = PairwiseKeys.Establish(new Channel(hub.Endpoint(p)), parties, label))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        return keys;
    }

    [Fact]
    public void Both_holders_of_a_pair_draw_the_same_streams_and_other_pairs_differ()
    {
        var k = Establish([0, 1, 2]);
        var s01 = k[0].Stream(1).NextUlongs(8);
        Assert.Equal(s01, k[1].Stream(0).NextUlongs(8));
        var s02 = k[0].Stream(2).NextUlongs(8);
        Assert.Equal(s02, k[2].Stream(0).NextUlongs(8));
        Assert.NotEqual(s01, s02);
        Assert.NotEqual(s01, k[1].Stream(2).NextUlongs(8));
    }

    [Fact]
    public void A_fork_draws_streams_of_its_own_that_both_holders_share()
    {
        var k = Establish([0, 1]);
        var f0 = k[0].Fork();
        var f1 = k[1].Fork();
        var forked = f0.Stream(1).NextUlongs(4);
        Assert.Equal(forked, f1.Stream(0).NextUlongs(4));
        var after = k[0].Stream(1).NextUlongs(4);
        Assert.Equal(after, k[1].Stream(0).NextUlongs(4));
        Assert.NotEqual(forked, after);
        Assert.Throws<InvalidOperationException>(() => f0.Fork());
    }

    [Fact]
    public void Each_use_of_a_pair_key_opens_a_fresh_stream()
    {
        var k = Establish([0, 1]);
        var first = k[0].Stream(1).NextUlongs(4);
        var second = k[0].Stream(1).NextUlongs(4);
        Assert.NotEqual(first, second);
        Assert.Equal(first, k[1].Stream(0).NextUlongs(4));
        Assert.Equal(second, k[1].Stream(0).NextUlongs(4));
    }

    [Fact]
    public void Two_sessions_of_the_same_parties_get_unrelated_keys()
    {
        var a = Establish([0, 1], "s1");
        var b = Establish([0, 1], "s1");
        Assert.NotEqual(a[0].Stream(1).NextUlongs(4), b[0].Stream(1).NextUlongs(4));
    }
}
