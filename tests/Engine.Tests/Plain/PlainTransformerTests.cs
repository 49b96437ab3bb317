using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Tests.Models;

namespace PrivateInference.Engine.Tests.Plain;

public sealed class PlainTransformerTests
{
    // One layer, one head of size 2, vocabulary of 2, embedding [[1,0],[0,2]] shared with the classifier.
    private static LlamaWeights HandModel()
    {
        var w = LlamaWeights.Allocate(new LlamaConfig(Dim: 2, HiddenDim: 1, Layers: 1, Heads: 1, KvHeads: 1, VocabSize: 2, SeqLen: 4));
        w.TokenEmbedding[0] = 1; w.TokenEmbedding[3] = 2;
        Array.Fill(w.RmsAtt, 1f); Array.Fill(w.RmsFfn, 1f); Array.Fill(w.RmsFinal, 1f);
        return w;
    }

    [Fact]
    public void WithZeroBlocksLogitsAreTheClassifierOfTheNormalizedEmbedding()
    {
        var m = new PlainTransformer(HandModel());
        // token 1: x = [0, 2]; mean square 2; normalized [0, 2/sqrt(2 + 1e-5)]; logits = E · that = [0, 4/sqrt(2 + 1e-5)].
        var logits = m.Forward(1, 0).ToArray();
        Assert.Equal(0f, logits[0]);
        Assert.Equal(4 / Math.Sqrt(2 + 1e-5), logits[1], 5);
    }

    [Fact]
    public void AttentionAveragesValuesWhenScoresTie()
    {
        // Wq = Wk = 0 makes every score 0, so attention is uniform; Wv = Wo = I pass the normalized inputs through.
        var w = HandModel();
        w.Wv[0] = 1; w.Wv[3] = 1;
        w.Wo[0] = 1; w.Wo[3] = 1;
        var m = new PlainTransformer(w);
        double n0 = 1 / Math.Sqrt(0.5 + 1e-5);       // rmsnorm([1,0]) = [n0, 0]
        double n1 = 2 / Math.Sqrt(2 + 1e-5);         // rmsnorm([0,2]) = [0, n1]

        // pos 0, token 0: x = [1,0] + [n0,0]; final norm of [1+n0, 0] is [sqrt2·sign, 0] up to eps.
        var l0 = m.Forward(0, 0).ToArray();
        double a = 1 + n0;
        Assert.Equal(a / Math.Sqrt(a * a / 2 + 1e-5), l0[0], 4);
        Assert.Equal(0, l0[1], 6);

        // pos 1, token 1: attention averages v0 = [n0,0] and v1 = [0,n1]: x = [0,2] + [n0/2, n1/2].
        var l1 = m.Forward(1, 1).ToArray();
        double x0 = n0 / 2, x1 = 2 + n1 / 2, rms = Math.Sqrt((x0 * x0 + x1 * x1) / 2 + 1e-5);
        Assert.Equal(x0 / rms, l1[0], 4);
        Assert.Equal(2 * x1 / rms, l1[1], 4);
    }

    [Fact]
    public void MatchesAnIndependentDoublePrecisionReferenceOnAGqaModel()
    {
        var w = TinyModels.Random(TinyModels.Gqa, seed: 7);
        var model = new PlainTransformer(w);
        var reference = new ReferenceLlama(w);
        int[] tokens = [1, 4, 9, 2, 7, 7, 3];
        for (int pos = 0; pos < tokens.Length; pos++)
        {
            var expected = reference.Forward(tokens[pos], pos);
            var actual = model.Forward(tokens[pos], pos).ToArray();
            for (int i = 0; i < expected.Length; i++)
                Assert.Equal(expected[i], actual[i], 3);
        }
    }

    [Fact]
    public void TokenOutsideTheVocabularyIsAnInputError() =>
        Assert.Throws<InputException>(() => new PlainTransformer(HandModel()).Forward(2, 0));

    [Fact]
    public void PositionBeyondTheContextIsAnInputError() =>
        Assert.Throws<InputException>(() => new PlainTransformer(HandModel()).Forward(0, 4));
}
