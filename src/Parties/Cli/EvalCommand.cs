using System.CommandLine;
using PrivateInference.Engine;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Reporting;

namespace PrivateInference.Parties.Cli;

/// <summary>`pi eval ppl`: teacher-forced perplexity of a text file, chunked on blank lines.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Evaluate a model on text.");
        eval.Subcommands.Add(CreatePerplexity());
        return eval;
    }

    private static Command CreatePerplexity()
    {
        var model = new ModelOptions();
        var text = new Option<string>("--text") { Description = "UTF-8 text file; chunks are separated by blank lines", Required = true };
        var chunks = new Option<int?>("--chunks") { Description = "evaluate only the first N chunks (default: all)" };
        var json = new Option<string?>("--json") { Description = "write the result as JSON to this file" };
        var command = new Command("ppl", "Perplexity: each chunk is its own sequence (BOS + tokens, truncated to the context).");
        model.AddTo(command);
        command.Options.Add(text);
        command.Options.Add(chunks);
        command.Options.Add(json);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var all = TextChunks.Split(TextChunks.ReadUtf8(parse.GetValue(text)!));
            int n = parse.GetValue(chunks) ?? all.Count;
            if (n < 1) throw new InputException($"--chunks must be at least 1, got {n}");
            if (n > all.Count) throw new InputException($"--chunks {n} exceeds the {all.Count} chunks in the text");
            var loaded = model.Load(parse);
            var result = PerplexityEvaluator.Evaluate(loaded.Weights, loaded.Tokenizer, all.GetRange(0, n),
                progress: (done, partial) => Console.Error.Write($"\rpi: chunk {done}/{n}, {partial.PredictedTokens} tokens, mean NLL {partial.MeanNll:F3}   "));
            Console.Error.WriteLine();
            Console.WriteLine($"chunks {result.Chunks}, predicted tokens {result.PredictedTokens}, mean NLL {result.MeanNll:F3} nats/token, perplexity {result.Perplexity:F2}");
            if (parse.GetValue(json) is { } path)
                JsonReport.Write(path, "pi eval ppl", [new
                {
                    Mode = "plain", Model = Path.GetFileNameWithoutExtension(loaded.ModelPath), Chunks = result.Chunks,
                    Tokens = result.PredictedTokens, MeanNll = result.MeanNll, Perplexity = result.Perplexity,
                }]);
            return 0;
        }));
        return command;
    }
}
