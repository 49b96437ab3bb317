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
