using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Tests.Private;

public sealed class PrivateKvCacheTests
{
    // One layer, 2 KV heads of 4 channels, 2 query heads per KV head.
    private static readonly LlamaConfig Shape = new(Dim: 16, HiddenDim: 8, Layers: 1, Heads: 4, KvHeads: 2, VocabSize: 8, SeqLen: 16);

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void AppendedPromptThenOneTokenAttendCausallyAsInPlaintext(SchemeKind scheme)
    {
        int kvh = Shape.KvHeads, g = Shape.KvGroup, hs = Shape.HeadSize, prompt = 3;
        var rng = new Random(4);
        double[] Values(int n) => Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] k0 = Values(kvh * prompt * hs), v0 = Values(kvh * prompt * hs), q0 = Values(kvh * g * prompt * hs);
        double[] k1 = Values(kvh * hs), v1 = Values(kvh * hs), q1 = Values(kvh * g * hs);
        var got = InProcessSession.Run(scheme, InProcessSession.ComputeAndClient, ctx =>
        {
            bool client = ctx.PartyId == PartyIds.Client;
            SecretTensor In(int[] shape, double[] v) => ctx.Input(PartyIds.Client, shape, client ? v : default);
            var cache = new PrivateKvCache(ctx, Shape);
            cache.Append(0, In([kvh, prompt, hs], k0), In([kvh, prompt, hs], v0));
            var first = cache.Attend(0, In([kvh, g * prompt, hs], q0), start: 0, t: prompt);    // [kvh, G·T, hs]
            cache.Append(0, In([kvh, 1, hs], k1), In([kvh, 1, hs], v1));
            var next = cache.Attend(0, In([kvh, g, hs], q1), start: prompt, t: 1);
            return ctx.Reveal(ctx.Concat([ctx.Reshape(first, kvh * g * prompt * hs), ctx.Reshape(next, kvh * g * hs)], 0), PartyIds.Client);
        })[3]!;

        // Plaintext: query row (j, i) of KV head h sees positions 0..i of the prompt; the new token sees all four.
        var expected = new List<double>();
        for (int h = 0; h < kvh; h++)
            for (int r = 0; r < g * prompt; r++)
                expected.AddRange(Attention(q0.AsSpan((h * g * prompt + r) * hs, hs).ToArray(), h, r % prompt + 1, k0, v0, prompt, null, null));
        for (int h = 0; h < kvh; h++)
            for (int j = 0; j < g; j++)
                expected.AddRange(Attention(q1.AsSpan((h * g + j) * hs, hs).ToArray(), h, prompt + 1, k0, v0, prompt, k1, v1));
        Assert.Equal(expected.Count, got.Length);
        for (int i = 0; i < got.Length; i++) Assert.Equal(expected[i], got[i], 2);
    }

    private static double[] Attention(double[] q, int h, int visible, double[] k0, double[] v0, int prompt, double[]? k1, double[]? v1)
    {
        int hs = Shape.HeadSize;
        double[] Row(double[] m, int p) => p < prompt ? m.AsSpan((h * prompt + p) * hs, hs).ToArray() : (m == k0 ? k1! : v1!).AsSpan(h * hs, hs).ToArray();
        var scores = Enumerable.Range(0, visible).Select(p => Row(k0, p).Zip(q, (a, b) => a * b).Sum()).ToArray();
        var e = scores.Select(s => Math.Exp(s - scores.Max())).ToArray();
        var output = new double[hs];
        for (int p = 0; p < visible; p++)
            for (int i = 0; i < hs; i++) output[i] += e[p] / e.Sum() * Row(v0, p)[i];
        return output;
    }
}
