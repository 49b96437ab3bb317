using System.CommandLine;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Engine;


namespace PrivateInference.Parties.Cli;

/// <summary>The options every model-using command shares: --model, --tokenizer, --models-dir, --threads.</summary>
public sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model")
    {
        Description = "model name (looked up as NAME.bin in the model folders) or path to a .bin/.safetensors file",
        DefaultValueFactory = _ => "stories260K",
    };

    public Option<string?> Tokenizer { get; } = new("--tokenizer")
    {
        Description = "tokenizer file (default: tok<vocab>.bin, e.g. tok512.bin, beside the model, else tokenizer.bin)",
    };

    public Option<string?> ModelsDir { get; } = new("--models-dir")
    {
        Description = "extra folder to search for models first (also $PI_MODELS; then ./models, <repo>/models, ../shared/models)",
    };

    public Option<int> Threads { get; } = new("--threads")
    {
        Description = "CPU threads for the kernels (0 = all cores)",
        DefaultValueFactory = _ => 0,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Tokenizer);
        command.Options.Add(ModelsDir);
        command.Options.Add(Threads);
    }

    public sealed record Loaded(string ModelPath, LlamaWeights Weights, Llama2cTokenizer Tokenizer);

    /// <summary>Loads the model alone (for commands that never see text).</summary>
    public (string ModelPath, LlamaWeights Weights) LoadWeights(ParseResult parse)
    {
        Kernels.Float.CpuParallelism.MaxThreads = parse.GetValue(Threads);
        var modelPath = new ModelLocator(parse.GetValue(ModelsDir)).ResolveModel(parse.GetValue(Model)!);
        return (modelPath, ModelLoader.Load(modelPath));
    }

    /// <summary>Loads the model and its tokenizer, checking that their vocabularies agree.</summary>
    public Loaded Load(ParseResult parse)
    {
        var (modelPath, weights) = LoadWeights(parse);
        var locator = new ModelLocator(parse.GetValue(ModelsDir));
        var tokenizerPath = locator.ResolveTokenizer(parse.GetValue(Tokenizer), modelPath, weights.Config.VocabSize);
        var tokenizer = Llama2cTokenizer.Load(tokenizerPath);
        if (tokenizer.VocabSize != weights.Config.VocabSize)
            throw new InputException($"tokenizer {tokenizerPath} has {tokenizer.VocabSize} tokens but model {modelPath} has a vocabulary of {weights.Config.VocabSize}");
        return new Loaded(modelPath, weights, tokenizer);
    }
}
