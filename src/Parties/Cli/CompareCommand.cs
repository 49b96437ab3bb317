using System.CommandLine;
using System.Globalization;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine;


namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi compare`: runs side by side on the same input, Markdown on stdout and JSON with --json. With `private:3` or
/// `private:2` among the modes it compares generations (tokens, first divergence, logit error, latency, communication,
/// slowdown against plaintext); otherwise it compares plaintext KV caches on perplexity, agreement, memory and speed.
/// </summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var modes = new Option<string>("--modes")
        {
            Description = "comma-separated modes: plain (fp32), fp16, kivi:B, xquant:B, xquant-cl:B with B in 2,3,4 (each may add " +
                          ":window=N|off, xquant :latent=on|off), and private:3 / private:2 (MPC over party processes)",
            DefaultValueFactory = _ => "plain,fp16,kivi:4,xquant:4,xquant-cl:4,kivi:3,xquant:3,xquant-cl:3,kivi:2,xquant:2,xquant-cl:2",
        };
        var text = new Option<string?>("--text") { Description = "UTF-8 text for perplexity (cache comparison); chunks are separated by blank lines" };
        var prompt = new Option<string>("--prompt") { Description = "generation comparison: prompt text (default: none, start from BOS)", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "generation comparison: tokens to generate (greedy)", DefaultValueFactory = _ => 64 };
        var run = new PrivateRunOptions();
        var chunks = new Option<int?>("--chunks") { Description = "use only the first N chunks (default: all)" };
        var tokens = new Option<int>("--tokens") { Description = "greedy tokens from BOS for agreement with fp32 and tokens/s", DefaultValueFactory = _ => 128 };
        var window = new Option<string>("--recent-window")
        {
            Description = $"fp16 recent window in tokens, or off, for caches that do not set their own (default {KvCacheSpec.DefaultRecentWindow})",
            DefaultValueFactory = _ => KvCacheSpec.DefaultRecentWindow.ToString(CultureInfo.InvariantCulture),
        };
        var json = new Option<string?>("--json") { Description = "write the rows as JSON to this file" };
        var command = new Command("compare", "Compare KV caches (fp32, fp16, KIVI, XQuant, XQuant-CL) on perplexity, agreement, memory and speed.");
        model.AddTo(command);
        foreach (var o in new Option[] { modes, text, chunks, tokens, window, json, prompt, maxTokens }) command.Options.Add(o);
        run.AddTo(command);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            var modeList = parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (modeList.Any(m => m.StartsWith("private", StringComparison.Ordinal)))
                return await CompareGenerations.RunAsync(parse, model, run, modeList, parse.GetValue(prompt)!, parse.GetValue(maxTokens),
                    parse.GetValue(window)!, parse.GetValue(json), cancel);
            if (parse.GetValue(text) is null) throw new InputException("--text is required to compare KV caches (or add private:3 / private:2 to compare generations)");
            int defaultWindow = KvCacheSpec.ParseWindow(parse.GetValue(window)!, "--recent-window");
            var specs = parse.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(m => KvCacheSpec.Parse(m, defaultWindow)).ToList();
            if (specs.Count == 0) throw new InputException("--modes is empty");
            var all = TextChunks.Split(TextChunks.ReadUtf8(parse.GetValue(text)!));
            int n = parse.GetValue(chunks) ?? all.Count;
            if (n < 1) throw new InputException($"--chunks must be at least 1, got {n}");
            if (n > all.Count) throw new InputException($"--chunks {n} exceeds the {all.Count} chunks in the text");
            var loaded = model.Load(parse);
            var name = Path.GetFileNameWithoutExtension(loaded.ModelPath);
            var reference = KvCacheComparison.GreedyReference(loaded.Weights, parse.GetValue(tokens));
            var selected = all.GetRange(0, n);

            // The fp32 perplexity is the baseline every change is measured against.
            var baseline = PerplexityEvaluator.Evaluate(loaded.Weights, loaded.Tokenizer, selected);
            var rows = new List<KvCacheComparisonRow>();
            foreach (var spec in specs)
            {
                rows.Add(KvCacheComparison.Run(name, spec, loaded.Weights, loaded.Tokenizer, selected, reference, baseline,
                    line => Console.Error.Write($"\rpi: {line}   ")));
                Console.Error.WriteLine();
            }
            Console.WriteLine(CompareTable.Markdown(rows));
            Console.WriteLine($"\n{name}, {n} chunks ({rows[0].Tokens} predicted tokens), greedy agreement over {reference.Length - 1} tokens from BOS");
            Console.WriteLine($"machine: {MachineInfo.Describe()}");
            if (parse.GetValue(json) is { } path)
                JsonReport.Write(path, "pi compare " + string.Join(' ', Environment.GetCommandLineArgs().Skip(2)), rows);
            return 0;
        }));
        return command;
    }
}
