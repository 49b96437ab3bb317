using System.CommandLine;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine;
using PrivateInference.Parties.Private;


namespace PrivateInference.Parties.Cli;

/// <summary>`pi eval ppl`: teacher-forced perplexity of a text file, chunked on blank lines.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var eval = new Command("eval", "Evaluate a model on text.");
        eval.Subcommands.Add(CreatePerplexity());
        eval.Subcommands.Add(CreateCacheAccuracy());
        return eval;
    }

    private static Command CreatePerplexity()
    {
        var model = new ModelOptions();
        var text = new Option<string>("--text") { Description = "UTF-8 text file; chunks are separated by blank lines", Required = true };
        var chunks = new Option<int?>("--chunks") { Description = "evaluate only the first N chunks (default: all)" };
        var json = new Option<string?>("--json") { Description = "write the result as JSON to this file" };
        var mode = new Option<string>("--mode") { Description = "plain: float32 here; private: computed under MPC (logits go to this client only)", DefaultValueFactory = _ => "plain" };
        mode.AcceptOnlyFromAmong("plain", "private");
        var run = new PrivateRunOptions();
        var command = new Command("ppl", "Perplexity: each chunk is its own sequence (BOS + tokens, truncated to the context).");
        model.AddTo(command);
        command.Options.Add(mode);
        run.AddTo(command);
        command.Options.Add(text);
        command.Options.Add(chunks);
        command.Options.Add(json);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            var all = TextChunks.Split(TextChunks.ReadUtf8(parse.GetValue(text)!));
            int n = parse.GetValue(chunks) ?? all.Count;
            if (n < 1) throw new InputException($"--chunks must be at least 1, got {n}");
            if (n > all.Count) throw new InputException($"--chunks {n} exceeds the {all.Count} chunks in the text");
            var loaded = model.Load(parse);
            Action<int, PerplexityResult> progress = (done, partial) =>
                Console.Error.Write($"\rpi: chunk {done}/{n}, {partial.PredictedTokens} tokens, mean NLL {partial.MeanNll:F3}   ");
            bool isPrivate = parse.GetValue(mode) == "private";
            PerplexityResult result;
            if (isPrivate)
            {
                var settings = run.Parse(parse);
                var chunkTokens = all.GetRange(0, n).Select(c =>
                {
                    var t = loaded.Tokenizer.Encode(c);
                    return (IReadOnlyList<int>)(t.Count > loaded.Weights.Config.SeqLen ? t.GetRange(0, loaded.Weights.Config.SeqLen) : t);
                }).ToList();
                await using var runner = await PrivateRunner.StartAsync(settings, cancel);
                result = await runner.PerplexityAsync(loaded.Weights, chunkTokens, progress, cancel);
                Console.Error.WriteLine();
                Console.Error.Write($"pi: private {settings.SchemeName}, transport {settings.Transport}, network {settings.Network.Description}");
            }
            else
            {
                result = PerplexityEvaluator.Evaluate(loaded.Weights, loaded.Tokenizer, all.GetRange(0, n), progress: progress);
            }
            Console.Error.WriteLine();
            Console.WriteLine($"chunks {result.Chunks}, predicted tokens {result.PredictedTokens}, mean NLL {result.MeanNll:F3} nats/token, perplexity {result.Perplexity:F2}");
            if (parse.GetValue(json) is { } path)
                JsonReport.Write(path, "pi eval ppl", [new
                {
                    Mode = isPrivate ? "private" : "plain", Model = Path.GetFileNameWithoutExtension(loaded.ModelPath), Chunks = result.Chunks,
                    Tokens = result.PredictedTokens, MeanNll = result.MeanNll, Perplexity = result.Perplexity,
                }]);
            return 0;
        }));
        return command;
    }

    private static Command CreateCacheAccuracy()
    {
        var model = new ModelOptions();
        var text = new Option<string>("--text") { Description = "UTF-8 text file; consecutive chunks are joined into long sequences", Required = true };
        var caches = new Option<string>("--cache")
        {
            Description = "cache policies to compare, ';'-separated specs (full, mpcache, static, dynamic, topk, h2o, each with optional :key=value,...)",
            DefaultValueFactory = _ => "mpcache;static;dynamic;mpcache:hierarchy=off;mpcache:sharing=off;topk;h2o",
        };
        var sequences = new Option<int>("--sequences") { Description = "number of sequences", DefaultValueFactory = _ => 8 };
        var minTokens = new Option<int>("--min-tokens") { Description = "minimum tokens per sequence", DefaultValueFactory = _ => 300 };
        var prefix = new Option<double>("--prefix") { Description = "fraction of each sequence prefilled before the policy applies", DefaultValueFactory = _ => 0.5 };
        var greedy = new Option<int>("--greedy-tokens") { Description = "greedy tokens compared with the full cache", DefaultValueFactory = _ => 64 };
        var json = new Option<string?>("--json") { Description = "write rows as JSON to this file" };
        var command = new Command("cache", "Accuracy of KV-cache policies in plaintext: continuation NLL vs the full cache, greedy agreement.");
        model.AddTo(command);
        foreach (var o in new Option[] { text, caches, sequences, minTokens, prefix, greedy, json }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var loaded = model.Load(parse);
            var policies = parse.GetValue(caches)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => (Spec: s, Options: Engine.CachePolicies.CachePolicyOptions.Parse(s))).ToList();
            double prefixFraction = parse.GetValue(prefix);
            if (!(prefixFraction > 0 && prefixFraction < 1)) throw new InputException($"--prefix must lie in (0, 1), got {prefixFraction}");
            var chunks = TextChunks.Split(TextChunks.ReadUtf8(parse.GetValue(text)!));
            var seqs = CachePolicyAccuracy.BuildSequences(loaded.Tokenizer, chunks, parse.GetValue(minTokens), parse.GetValue(sequences), loaded.Weights.Config.SeqLen);
            Console.WriteLine($"{seqs.Count} sequences, {seqs.Sum(s => s.Count)} tokens (min {seqs.Min(s => s.Count)}, max {seqs.Max(s => s.Count)}), prefix {prefixFraction:P0}");
            Console.WriteLine();
            Console.WriteLine("| cache | continuation tokens | mean NLL | full-cache NLL | NLL ratio | greedy agreement | attended fraction |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            var rows = new List<object>();
            foreach (var (spec, options) in policies)
            {
                Console.Error.WriteLine($"pi: evaluating {spec}...");
                var r = CachePolicyAccuracy.Evaluate(loaded.Weights, seqs, options, prefixFraction, parse.GetValue(greedy));
                Console.WriteLine($"| {spec} | {r.ContinuationTokens} | {r.MeanNll:F4} | {r.MeanNllFull:F4} | {r.NllRatio:F4} | {r.Agreement:P1} | {r.MeanAttendedFraction:P1} |");
                rows.Add(new { Mode = "plain", Cache = spec, r.Sequences, r.PrefixTokens, r.ContinuationTokens, r.MeanNll, MeanNllFull = r.MeanNllFull, r.NllRatio, r.Agreement, Tokens = r.GreedyTokens, r.MeanAttendedFraction });
            }
            if (parse.GetValue(json) is { } path) JsonReport.Write(path, "pi eval cache", rows);
            return 0;
        }));
        return command;
    }
}
