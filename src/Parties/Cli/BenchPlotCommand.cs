using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateInference.Engine;

namespace PrivateInference.Parties.Cli;

/// <summary>`pi bench plot`: the ratio plot of one or more `pi bench private --json` files (several networks in one
/// figure, or a plot redrawn without re-running the benchmark).</summary>
internal static class BenchPlotCommand
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Create()
    {
        var json = new Option<string>("--json") { Description = "comma-separated JSON files written by pi bench private --json", Required = true };
        var output = new Option<string>("--ratio-plot") { Description = "PNG to write: every policy's ratios against the first, against context", Required = true };
        var reference = new Option<string?>("--reference-ranges") { Description = "shade a published range, LAT_LO-LAT_HI,BYTES_LO-BYTES_HI" };
        var title = new Option<string?>("--title") { Description = "plot title (default: the first row's model)" };
        var command = new Command("plot", "Ratio plot of pi bench private JSON results.");
        foreach (var o in new Option[] { json, output, reference, title }) command.Options.Add(o);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(() =>
        {
            var rows = new List<PrivateBenchRow>();
            foreach (var path in parse.GetValue(json)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!File.Exists(path)) throw new InputException($"JSON file not found: {path}");
                try
                {
                    var doc = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
                    rows.AddRange((doc?["rows"] as JsonArray ?? throw new InputException($"{path}: no \"rows\" array"))
                        .Select(r => r.Deserialize<PrivateBenchRow>(Options) ?? throw new InputException($"{path}: an empty row")));
                }
                catch (JsonException e) { throw new InputException($"{path}: not a pi bench private JSON file ({e.Message.Split('.')[0]})"); }
            }
            if (rows.Count == 0) throw new InputException("the JSON files hold no rows");
            var range = parse.GetValue(reference) is { } r ? BenchRatioPlot.ParseReference(r) : ((double, double, double, double)?)null;
            BenchRatioPlot.Write(parse.GetValue(output)!, parse.GetValue(title) ?? $"{rows[0].Model}, {rows[0].Scheme}", rows, range);
            return Task.FromResult(0);
        }));
        return command;
    }
}
