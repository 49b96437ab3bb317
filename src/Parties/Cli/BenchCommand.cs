using System.CommandLine;
using PrivateInference.Engine.Benchmarks;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine;


namespace PrivateInference.Parties.Cli;

/// <summary>`pi bench ...`: cost benchmarks; results as a Markdown table on stdout and JSON with --json.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks (latency, throughput, communication).");
        bench.Subcommands.Add(CreatePlain());
        bench.Subcommands.Add(BenchPrivateCommand.Create());
        bench.Subcommands.Add(BenchPlotCommand.Create());
        bench.Subcommands.Add(BenchOpsCommand.Create());
        bench.Subcommands.Add(BenchGpuCommand.Create());
        return bench;
    }

    private static Command CreatePlain()
    {
        var model = new ModelOptions();
        var preset = new Option<string?>("--preset") { Description = $"random-weight model instead of --model: {string.Join(", ", SyntheticModels.Presets.Keys)}" };
        var layers = new Option<int?>("--layers") { Description = "with --preset: keep only the first K layers" };
        var tokens = new Option<int>("--tokens") { Description = "positions to decode (0..N-1)", DefaultValueFactory = _ => 128 };
        var threadList = new Option<string>("--thread-counts") { Description = "comma-separated thread counts to compare (0 = all cores)", DefaultValueFactory = _ => "1,0" };
        var json = new Option<string?>("--json") { Description = "write rows as JSON to this file" };
        var command = new Command("plain", "Plaintext decode throughput (tokens/s), single thread and all cores.");
        model.AddTo(command);
        foreach (var o in new Option[] { preset, layers, tokens, threadList, json }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            string name;
            LlamaWeights weights;
            if (parse.GetValue(preset) is { } p)
            {
                name = $"{p} (random weights)";
                Console.Error.WriteLine($"pi: generating random weights for preset {p}...");
                weights = SyntheticModels.Create(SyntheticModels.Preset(p, parse.GetValue(layers)), seed: 1);
            }
            else
            {
                if (parse.GetValue(layers) is not null) throw new InputException("--layers applies to --preset models only");
                var (modelPath, loadedWeights) = model.LoadWeights(parse);
                name = Path.GetFileNameWithoutExtension(modelPath);
                weights = loadedWeights;
            }
            var counts = ParseThreadCounts(parse.GetValue(threadList)!);
            var rows = new List<PlainThroughputRow>();
            Console.WriteLine("| model | layers | threads | tokens | tokens/s | median ms/token | p90 ms/token |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var t in counts)
            {
                var row = PlainThroughputBenchmark.Run(name, weights, parse.GetValue(tokens), t);
                rows.Add(row);
                Console.WriteLine($"| {row.Model} | {row.Layers} | {row.Threads} | {row.Tokens} | {row.TokensPerSecond:F1} | {row.MedianMs:F3} | {row.P90Ms:F3} |");
            }
            Console.WriteLine($"\nmachine: {MachineInfo.Describe()}");
            if (parse.GetValue(json) is { } path)
                JsonReport.Write(path, "pi bench plain", rows.Select(r => (object)new
                {
                    Mode = "plain", r.Model, r.Layers, r.Threads, r.Tokens, r.TokensPerSecond, MedianMs = r.MedianMs, P90Ms = r.P90Ms,
                }));
            return 0;
        }));
        return command;
    }

    private static List<int> ParseThreadCounts(string text)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(int.TryParse(part, out int n) && n >= 0 ? n : throw new InputException($"--thread-counts: '{part}' is not a thread count"));
        return list.Count > 0 ? list : throw new InputException("--thread-counts is empty");
    }
}
