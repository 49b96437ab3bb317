using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Api;

/// <summary>Local shape ops move shares exactly as the values would move.</summary>
public class ShapeTests
{
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Slice_concat_transpose_and_sum_follow_row_major_layout(SchemeKind scheme)
    {
        var a = Enumerable.Range(0, 24).Select(i => (double)i).ToArray(); // [2, 3, 4]
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [2, 3, 4], a);
            var mid = ctx.Slice(x, 1, 1, 2);                       // [2, 2, 4]
            var joined = ctx.Concat([mid, ctx.Slice(x, 1, 0, 1)], 1); // [2, 3, 4]: rows 1, 2, 0
            var t = ctx.Transpose(joined);                          // [2, 4, 3]
            var s = ctx.Sum(t, keepDim: true);                      // [2, 4, 1]
            return ctx.Concat([ctx.Reshape(t, 2, 12), ctx.Reshape(s, 2, 4)], 1);
        });
        var expected = new List<double>();
        for (int b = 0; b < 2; b++)
        {
            int[] rows = [1, 2, 0];
            var t = new double[4, 3];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) t[j, i] = a[b * 12 + rows[i] * 4 + j];
            for (int j = 0; j < 4; j++) for (int i = 0; i < 3; i++) expected.Add(t[j, i]);
            for (int j = 0; j < 4; j++) expected.Add(t[j, 0] + t[j, 1] + t[j, 2]);
        }
        Assert.Equal(expected.ToArray(), got);
    }

    /// <summary>A tensor right modulo 2^w only (a tournament's carried payload) keeps w through the ops that move its
    /// elements, a concatenation takes the narrowest part's, and an op that reads the whole ring refuses it.</summary>
    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Movement_ops_keep_a_narrow_ring_and_whole_ring_ops_refuse_it(SchemeKind scheme)
    {
        var rings = new System.Collections.Concurrent.ConcurrentBag<string>();
        Harness.RunToClient(scheme, ctx =>
        {
            var keys = ctx.Input(PartyIds.Client, [2, 3], [1, 5, 2, 7, 0, 3]);
            var (oneHot, won) = ctx.ArgMaxWithPayloads(keys, [ctx.Input(PartyIds.Client, [2, 3, 4], new double[24])], [40], boundLog2: 8);
            var w = won[0];                                                     // [2, 4]
            var moved = new[]
            {
                ctx.Reshape(w, 8), ctx.Transpose(w), ctx.Slice(w, 1, 1, 2), ctx.Rearrange(w, [3, 0, -1], 3),
                ctx.Concat([w, ctx.Input(PartyIds.Client, [2, 1], [0, 0])], 1),
            };
            string refused;
            try { ctx.Mul(w, w); refused = "no"; }
            catch (InvalidOperationException e) when (e.Message.Contains("modulo 2^40")) { refused = "yes"; }
            rings.Add($"{w.Ring}:{string.Join(",", moved.Select(m => m.Ring))}:{refused}");
            return oneHot;
        });
        Assert.Equal(["40:40,40,40,40,40:yes"], rings.Distinct());
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Rearrange_moves_elements_by_public_indices_with_repeats(SchemeKind scheme)
    {
        int[] indices = [5, 0, 0, 3, 1, 4];
        var got = Harness.RunToClient(scheme, ctx => ctx.Rearrange(ctx.Input(PartyIds.Client, [2, 3], [10, 11, 12, 13, 14, 15]), indices, 3, 2));
        Assert.Equal([15.0, 10, 10, 13, 11, 14], got);
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Rearrange_gives_a_shared_zero_for_index_minus_one(SchemeKind scheme)
    {
        var got = Harness.RunToClient(scheme, ctx => ctx.Rearrange(ctx.Input(PartyIds.Client, [3], [7, 8, 9]), [2, -1, 0, -1], 4));
        Assert.Equal([9.0, 0, 7, 0], got);
    }

    [Fact]
    public void Rearrange_refuses_an_index_outside_the_tensor()
    {
        var errors = InProcessSession.Run(SchemeKind.ThreePc, InProcessSession.ComputeAndClient, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [4], [1, 2, 3, 4]);
            return Record.Exception(() => ctx.Rearrange(x, [0, 4], 2));
        });
        Assert.All(errors, e => Assert.IsType<ArgumentOutOfRangeException>(e));
    }

    [Theory]
    [MemberData(nameof(Harness.BothSchemes), MemberType = typeof(Harness))]
    public void Mixed_scales_are_aligned_before_adding(SchemeKind scheme)
    {
        var got = Harness.RunToClient(scheme, ctx =>
        {
            var x = ctx.Input(PartyIds.Client, [3], [1, 2, 4]);
            var r = ctx.Reciprocal(x, 0, 3);           // scale 28
            return ctx.Rescale(x + r, 16);              // 16 + 28 -> 28, then back to 16
        });
        Harness.AssertClose([2, 2.5, 4.25], got, 1e-3, 0, "x + 1/x");
    }
}
