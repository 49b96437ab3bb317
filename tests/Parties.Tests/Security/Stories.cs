using PrivateInference.Engine.Generation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Parties.Jobs;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Tests.Security;

/// <summary>stories260K (from ../shared/models via <see cref="ModelLocator"/>), loaded once for the security tests.</summary>
internal static class Stories
{
    private static readonly Lazy<(LlamaWeights Weights, Llama2cTokenizer Tokenizer, FoldedWeights Folded)> Loaded = new(() =>
    {
        var locator = new ModelLocator();
        var path = locator.ResolveModel("stories260K");
        var weights = Llama2cCheckpoint.Load(path);
        var tokenizer = Llama2cTokenizer.Load(locator.ResolveTokenizer(null, path, weights.Config.VocabSize));
        return (weights, tokenizer, FoldedWeights.Fold(weights));
    });

    public static LlamaWeights Weights => Loaded.Value.Weights;

    public static FoldedWeights Folded => Loaded.Value.Folded;

    /// <summary>The model hash of stories260K as every session names it (shape and domains).</summary>
    public static string ModelHash => PrivateJobArguments.ModelHash(Folded);

    public static IReadOnlyList<int> Prompt(string text) => Loaded.Value.Tokenizer.Encode(text);

    /// <summary>The greedy tokens the plaintext engine generates: what every private run must reproduce.</summary>
    public static List<int> PlainTokens(IReadOnlyList<int> prompt, int count) =>
        new TextGenerator(new PlainTransformer(Weights), new Sampler(0, 0.9f, 1)).Generate(prompt, count).ToList();

    /// <summary>The arguments `pi generate --mode private` sends when it opens a session.</summary>
    public static JobArguments GenerateArguments(string scheme, int promptLength, int maxTokens)
    {
        var arguments = PrivateJobArguments.For(Folded, scheme == "2pc" ? SchemeKind.TwoPcDealer : SchemeKind.ThreePc, 16);
        arguments["prompt_length"] = promptLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        arguments["max_tokens"] = maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return arguments;
    }

    /// <summary>The client's and owner's parts of one greedy private generation.</summary>
    public static (PrivateGenerateJob Client, PrivateGenerateJob Owner) Parts(IReadOnlyList<int> prompt, Action<int>? onToken = null) =>
        (PrivateGenerateJob.ForClient(new ClientInputs(prompt, new Sampler(0, 0.9f, 1), onToken)), PrivateGenerateJob.ForOwner(Folded));
}
