using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Tests.Private;

public sealed class NonlinearDomainsTests
{
    private static IReadOnlyList<int>[] Sample(LlamaWeights w)
    {
        // Real text for the real vocabulary; for any other, a spread of token ids (repeats included: a repeated token is
        // where a query meets its own key, the largest scores).
        if (w.Config.VocabSize == 512)
        {
            var tok = Engine.Tokenization.Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
            return [.. TextChunks.Split(TextChunks.ReadUtf8(SharedAssets.DevTextPath)).Take(3).Select(c => (IReadOnlyList<int>)tok.Encode(c))];
        }
        return [[.. Enumerable.Range(0, 120).Select(i => (i * 37 + i / 7) % w.Config.VocabSize)], [.. Enumerable.Repeat(5, 40)]];
    }

    public static TheoryData<string> Models => ["stories260K", "scaled x256 x40", "babyllama361", "synthetic"];

    private static LlamaWeights Load(string name) => name switch
    {
        "stories260K" => SharedAssets.Stories260K,
        "scaled x256 x40" => ModelVariants.Scaled(SharedAssets.Stories260K, residualScale: 256, scoreScale: 40),
        "babyllama361" => Llama2cCheckpoint.Load(Path.Combine(Path.GetDirectoryName(SharedAssets.ModelPath)!, "babyllama361.bin")),
        _ => SyntheticModels.Create(new LlamaConfig(96, 256, 2, 6, 2, 300, 128), seed: 7),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void The_bounds_from_the_weights_hold_every_score_and_gate_input_the_plaintext_model_produces(string name)
    {
        var w = Load(name);
        var (score, gate) = NonlinearDomains.Bounds(FoldedWeights.Fold(w));
        var seen = ActivationRanges.Measure(w, Sample(w));
        Assert.InRange(seen.MaxAbsScore, 1e-3, score);
        Assert.InRange(seen.MaxAbsGate, 1e-3, gate);
        var d = NonlinearDomains.Of(FoldedWeights.Fold(w));
        Assert.True(Math.Pow(2, d.ScoreLog2) >= 2 * score && Math.Pow(2, d.GateLog2) >= 2 * gate, $"{d} against bounds {score:G4}, {gate:G4}");
    }

    [Fact]
    public void The_real_model_narrows_both_domains_far_below_the_widest()
    {
        var d = NonlinearDomains.Of(FoldedWeights.Fold(SharedAssets.Stories260K));
        Assert.InRange(d.ScoreLog2, MpcContext.MinRangeLog2, 12);
        Assert.InRange(d.GateLog2, MpcContext.MinGateRangeLog2, 12);
    }

    [Fact]
    public void A_model_whose_scores_could_pass_2_to_the_19_is_refused_with_one_line_naming_the_bound()
    {
        var w = ModelVariants.Scaled(SharedAssets.Stories260K, residualScale: 1, scoreScale: 1e6f);
        var e = Assert.Throws<InputException>(() => NonlinearDomains.Of(FoldedWeights.Fold(w)));
        Assert.Contains("attention scores can reach", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Domains_outside_what_the_protocols_accept_are_refused()
    {
        Assert.Throws<InputException>(() => new NonlinearDomains(MpcContext.MinRangeLog2 - 1, 10).Validated());
        Assert.Throws<InputException>(() => new NonlinearDomains(10, MpcContext.NonlinearRangeLog2 + 1).Validated());
        Assert.Throws<InputException>(() => new NonlinearDomains(10, MpcContext.MinGateRangeLog2 - 1).Validated());
        Assert.Equal(new NonlinearDomains(10, 7), new NonlinearDomains(10, 7).Validated());
        Assert.Equal(new NonlinearDomains(MpcContext.MinRangeLog2, MpcContext.MinGateRangeLog2), new NonlinearDomains(MpcContext.MinRangeLog2, MpcContext.MinGateRangeLog2).Validated());
    }
}
