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
    public void A_rotated_view_draws_the_physical_pairs_streams_and_shares_their_counters()
    {
        var k = Establish([0, 1, 2, 3]);
        // Under shift 1, P0 plays role 2: its stream with role 0 is its stream with physical P1, and P1 (role 0)
        // reaches P0 as role 2. The client keeps its id.
        var r0 = k[0].Rotated(1);
        var r1 = k[1].Rotated(1);
        var s = r0.Stream(0).NextUlongs(4);
        Assert.Equal(s, r1.Stream(2).NextUlongs(4));
        // The next physical stream of the pair is a fresh one: the view used up the pair's counter, no nonce repeats.
        var next = k[0].Stream(1).NextUlongs(4);
        Assert.Equal(next, k[1].Stream(0).NextUlongs(4));
        Assert.NotEqual(s, next);
        Assert.Equal(r0.Stream(3).NextUlongs(4), k[3].Stream(0).NextUlongs(4));
        // A fork of a view keeps its relabeling.
        Assert.Equal(r0.Fork().Stream(0).NextUlongs(4), k[1].Fork().Stream(0).NextUlongs(4));
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
