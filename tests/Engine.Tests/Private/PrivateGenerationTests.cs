using PrivateInference.Engine.Generation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Tests.Private;

public sealed class PrivateGenerationTests
{
    private static readonly Lazy<LlamaWeights> Model = new(() => Llama2cCheckpoint.Load(SharedAssets.ModelPath));

    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void GreedyTokensMatchThePlaintextEngine(SchemeKind scheme)
    {
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        var prompt = tokenizer.Encode("Once upon a time");
        var expected = new TextGenerator(new PlainTransformer(Model.Value), new Sampler(0, 0.9f, 1)).Generate(prompt, 12).ToList();
        var results = InProcessPrivateRun.Generate(scheme, Model.Value, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 12);
        var client = results[Array.IndexOf(InProcessPrivateRun.Participants, PartyIds.Client)];
        Assert.Equal(expected, client.Tokens);
    }

    /// <summary>The accepted fixed-point widths at their edges (8 and 24) and where the engine stops leaving products
    /// untruncated (16 → 17): the private run still gives the plaintext tokens.</summary>
    [Theory]
    [InlineData(SchemeKind.ThreePc, 8)]
    [InlineData(SchemeKind.TwoPcDealer, 8)]
    [InlineData(SchemeKind.ThreePc, 17)]
    [InlineData(SchemeKind.ThreePc, 24)]
    [InlineData(SchemeKind.TwoPcDealer, 24)]
    public void GreedyTokensMatchThePlaintextEngineAtTheEdgesOfTheFixedPointWidths(SchemeKind scheme, int fracBits)
    {
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        var prompt = tokenizer.Encode("Once upon a time");
        var expected = new TextGenerator(new PlainTransformer(Model.Value), new Sampler(0, 0.9f, 1)).Generate(prompt, 8).ToList();
        var results = InProcessPrivateRun.Generate(scheme, Model.Value, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 8,
            new MpcOptions { FracBits = fracBits });
        var client = results[Array.IndexOf(InProcessPrivateRun.Participants, PartyIds.Client)];
        Assert.Equal(expected, client.Tokens);
    }

    /// <summary>A model whose activations leave the ranges the protocols had before (Σx² up to 2^24.7 with the residual
    /// stream ×256, attention scores up to ~1000 with scores ×40): the private run still gives the plaintext tokens.</summary>
    [Theory]
    [InlineData(SchemeKind.ThreePc)]
    [InlineData(SchemeKind.TwoPcDealer)]
    public void GreedyTokensMatchThePlaintextEngineOnAModelWithLargeActivations(SchemeKind scheme)
    {
        var scaled = ModelVariants.Scaled(Model.Value, residualScale: 256, scoreScale: 40);
        var prompt = new List<int> { 1 };
        var expected = new TextGenerator(new PlainTransformer(scaled), new Sampler(0, 0.9f, 1)).Generate(prompt, 16).ToList();
        var results = InProcessPrivateRun.Generate(scheme, scaled, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 16);
        var client = results[Array.IndexOf(InProcessPrivateRun.Participants, PartyIds.Client)];
        Assert.Equal(expected, client.Tokens);
    }
}
