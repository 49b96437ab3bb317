using PrivateInference.Engine.Generation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Tests.Generation;

public sealed class TextGeneratorTests
{
    // The greedy sample published with stories260K (llama2.c doc/stories260K.md), 256 tokens from BOS.
    private const string PublishedSample =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n" +
        "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. She said, \"I want to play with your ball, but I can't find it.\"\n" +
        "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\n" +
        "Lily didn't want to help her mom, so she said, \"I'm sorry, mom. I didn't know what to do.\" Her mom said, \"Don't worry, Lily. We can help you.";

    [Fact]
    public void GreedyFromBosReproducesThePublishedSampleWordForWord()
    {
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        var generator = new TextGenerator(new PlainTransformer(Llama2cCheckpoint.Load(SharedAssets.ModelPath)), new Sampler(0, 0.9f, 1));
        var tokens = generator.Generate([Llama2cTokenizer.Bos], 256).ToList();
        Assert.Equal(256, tokens.Count);
        Assert.Equal(PublishedSample, tokenizer.Decode([Llama2cTokenizer.Bos, .. tokens]));
    }

    [Theory]
    [InlineData(513, 1)]   // prompt longer than the context
    [InlineData(1, 513)]   // budget beyond the context
    [InlineData(10, 504)]  // 10 + 504 - 1 = 513 positions
    [InlineData(3, 0)]
    public void PromptOrBudgetBeyondTheContextIsAnInputError(int promptTokens, int maxTokens) =>
        Assert.Throws<InputException>(() => TextGenerator.CheckFitsContext(promptTokens, maxTokens, 512));

    [Fact]
    public void BudgetThatExactlyFillsTheContextIsAccepted() => TextGenerator.CheckFitsContext(10, 503, 512);
}
