using System.CommandLine;
using System.Globalization;
using System.Text;
using PrivateInference.Engine.Benchmarks;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine;
using PrivateInference.Parties.Private;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Cli;

/// <summary>`pi bench private`: per decode step latency, bytes and rounds per party at each context length.</summary>
internal static class BenchPrivateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var run = new PrivateRunOptions();
        var shape = new ShapeOptions();
        var preset = new Option<string?>("--preset") { Description = $"random-weight model instead of --model: {string.Join(", ", SyntheticModels.Presets.Keys)}" };
        var layers = new Option<int?>("--layers") { Description = "with --preset: keep only the first K layers (with a shape option, any count)" };
        var contexts = new Option<string>("--context") { Description = "comma-separated context lengths (cache size + 1 at the measured step)", DefaultValueFactory = _ => "64,128,256,512" };
        var steps = new Option<int>("--steps") { Description = "decode steps measured per context", DefaultValueFactory = _ => 8 };
        var scope = new Option<string?>("--scope") { Description = "model: token in, logits to the client (default for --model); layers: the decoder stack alone (default for --preset)" };
        scope.AcceptOnlyFromAmong("model", "layers");
        var json = new Option<string?>("--json") { Description = "write rows as JSON to this file" };
        var append = new Option<string?>("--append") { Description = "append the Markdown table (with command and machine) to this file, e.g. docs/benchmarks/private.md" };
        var plot = new Option<string?>("--plot") { Description = "write a PNG of latency and bytes per token against context" };
        var cache = new Option<string>("--cache")
        {
            Description = "cache policies to compare in one run, e.g. full,mpcache (';'-separated when a spec has :options); ratios against the first",
            DefaultValueFactory = _ => "full",
        };
        var ratioPlot = new Option<string?>("--ratio-plot") { Description = "write a PNG of every policy's latency and bytes ratios against the first, against context" };
        var reference = new Option<string?>("--reference-ranges") { Description = "with --ratio-plot: shade a published range, LAT_LO-LAT_HI,BYTES_LO-BYTES_HI (e.g. 1.8-2.01,3.39-8.37)" };
        var breakdown = new Option<bool>("--breakdown") { Description = "print each party's rounds and bytes per operation for the last step of each context" };
        var command = new Command("private", "Private decoding cost per step at several context lengths, beside plaintext.");
        model.AddTo(command);
        run.AddTo(command);
        shape.AddTo(command);
        foreach (var o in new Option[] { preset, layers, contexts, steps, scope, json, append, plot, ratioPlot, reference, breakdown, cache }) command.Options.Add(o);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            string name;
            LlamaWeights weights;
            int stepCount = parse.GetValue(steps);
            if (stepCount < 1) throw new InputException($"--steps must be at least 1, got {stepCount}");
            var lengths = parse.GetValue(contexts)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => int.TryParse(v, out int c) && c >= stepCount + 2 ? c
                    : throw new InputException($"--context: '{v}' must be a length of at least {stepCount + 2} for --steps {stepCount}"))
                .ToList();
            if (parse.GetValue(preset) is { } p)
            {
                var config = shape.Apply(parse, p, parse.GetValue(layers), lengths.Max());
                name = shape.Describe(parse, p, config);
                Console.Error.WriteLine($"pi: generating random weights for {name}...");
                weights = SyntheticModels.Create(config, seed: 1);
            }
            else
            {
                if (parse.GetValue(layers) is not null || shape.Given(parse)) throw new InputException("--layers, --dim, --heads, --kv-heads and --ffn apply to --preset models only");
                var (path, w) = model.LoadWeights(parse);
                name = Path.GetFileNameWithoutExtension(path);
                weights = w;
            }
            bool layersOnly = (parse.GetValue(scope) ?? (parse.GetValue(preset) is null ? "model" : "layers")) == "layers";
            var points = lengths.Select(c => c <= weights.Config.SeqLen ? c
                    : throw new InputException($"--context: {c} is beyond this model's context of {weights.Config.SeqLen}")).ToList();
            var settings = run.Parse(parse);
            var referenceRanges = parse.GetValue(reference) is { } r ? BenchRatioPlot.ParseReference(r) : ((double, double, double, double)?)null;
            var policies = Engine.CachePolicies.CachePolicyOptions.ParseList(parse.GetValue(cache)!);
            var folded = FoldedWeights.Fold(weights);
            await using var runner = await PrivateRunner.StartAsync(settings, cancel);

            var table = new StringBuilder();
            table.AppendLine("| model | scope | scheme | transport | network | cache | context | median ms | p90 ms | plaintext ms | slowdown | bytes sent per step (P0 / P1 / P2) | of which online | rounds per step |" +
                             (policies.Count > 1 ? $" latency {policies[0].Spec}/this | bytes {policies[0].Spec}/this |" : ""));
            table.AppendLine("|---|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + (policies.Count > 1 ? "---:|---:|" : ""));
            Console.Write(table.ToString());
            var rows = new List<PrivateBenchRow>();
            foreach (var context in points)
            {
                double plain = PlainDecodeTiming.MedianMs(weights, context, stepCount, layersOnly);
                PrivateBenchRow? first = null;
                foreach (var policy in policies)
                {
                    Console.Error.WriteLine($"pi: context {context}, cache {policy.Spec}...");
                    var results = await runner.BenchmarkAsync(weights, folded, new PrivateBenchPoint(context, stepCount, layersOnly, policy), cancel);
                    var row = PrivateBenchRow.From(name, layersOnly ? "layers" : "model", settings, context, results, plain, policy.Spec) with { Device = runner.Devices ?? "" };
                    first ??= row;
                    rows.Add(row);
                    string line = row.MarkdownLine() + (policies.Count > 1
                        ? $" {first.MedianMs / row.MedianMs:F2}x | {(double)first.BytesSentPerParty.Max() / row.BytesSentPerParty.Max():F2}x |" : "");
                    table.AppendLine(line);
                    Console.WriteLine(line);
                    if (parse.GetValue(breakdown)) Console.Error.WriteLine(OperationBreakdown.Table("last step", results, r => r.LastStepByLabel, settings.Network));
                }
            }
            string machine = MachineInfo.Describe();
            Console.WriteLine($"\nmachine: {machine}");
            string commandLine = "pi " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Where(a => !a.EndsWith(".dll", StringComparison.Ordinal)));
            if (parse.GetValue(append) is { } appendPath)
                File.AppendAllText(appendPath, $"\n### {name}, {settings.SchemeName}, {settings.Transport}, network {settings.Network.Name} — {DateTime.UtcNow:yyyy-MM-dd}\n\n" +
                    $"`{commandLine}`\n\nMachine: {machine}\n\nDevices: {runner.Devices}\n\n{table}");
            if (parse.GetValue(json) is { } jsonPath) JsonReport.Write(jsonPath, commandLine, rows);
            if (parse.GetValue(plot) is { } plotPath) BenchPlot.Write(plotPath, $"{name}, {settings.SchemeName}, {settings.Network.Name}", rows);
            if (parse.GetValue(ratioPlot) is { } ratioPath && policies.Count > 1)
                BenchRatioPlot.Write(ratioPath, $"{name}, {settings.SchemeName}, {settings.Network.Name}", rows, referenceRanges);
            return 0;
        }));
        return command;
    }
}

/// <summary>One row of `pi bench private`.</summary>
internal sealed record PrivateBenchRow(
    string Model, string Preset, string Scope, string Scheme, int Parties, string Transport, string Network, string Cache, int Context, int Steps,
    double MedianMs, double P90Ms, double PlainMs, double Slowdown, long[] BytesSentPerParty, long Rounds)
{
    /// <summary>The device each compute party used, as the parties reported it.</summary>
    public string Device { get; init; } = "";
    /// <summary>The data-dependent part of <see cref="BytesSentPerParty"/> (the rest is preprocessing).</summary>
    public long[] OnlineBytesPerParty { get; init; } = [];

    public static PrivateBenchRow From(string model, string scope, PrivateRunSettingsCli s, int context, PrivateRunResult[] results, double plainMs, string cache)
    {
        var client = results.Single(r => r.PartyId == PartyIds.Client);
        var parties = PartyIds.ComputeParties.Select(p => results.Single(r => r.PartyId == p)).ToArray();
        double median = PrivateRunSummary.Median(client.DecodeMs);
        return new PrivateBenchRow(model, model, scope, s.SchemeName, s.Parties, s.Transport, s.Network.Name, cache, context, client.DecodeMs.Count,
            median, PrivateRunSummary.Percentile(client.DecodeMs, 0.9), plainMs, median / Math.Max(plainMs, 1e-6),
            parties.Select(r => (long)PrivateRunSummary.Median(r.DecodeSteps.Select(x => (double)x.BytesSent).ToList())).ToArray(),
            parties.Max(r => (long)PrivateRunSummary.Median(r.DecodeSteps.Select(x => (double)x.Rounds).ToList())))
        {
            OnlineBytesPerParty = parties.Select(r => (long)PrivateRunSummary.Median(r.DecodeSteps.Select(x => (double)x.OnlineBytesSent).ToList())).ToArray(),
        };
    }

    public string MarkdownLine() =>
        $"| {Model} | {Scope} | {Scheme} | {Transport} | {Network} | {Cache} | {Context} | {MedianMs:F1} | {P90Ms:F1} | {PlainMs:F3} | {Slowdown:F0}x | " +
        $"{Mib(BytesSentPerParty)} | {Mib(OnlineBytesPerParty)} | {Rounds} |";

    private static string Mib(long[] bytes) => string.Join(" / ", bytes.Select(b => (b / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB"));
}
