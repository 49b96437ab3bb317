using System.CommandLine;
using System.Globalization;
using System.Text;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Generation;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine;
using PrivateInference.Parties.Private;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi compare --modes plain,private:3,private:2 ...`: the same greedy generation in every mode, then one table of
/// agreement, logit error, latency and communication (slowdown against the first plaintext mode), and the tokens side
/// by side.
/// </summary>
internal static class GenerationComparison
{
    public static async Task<int> RunAsync(ParseResult parse, ModelOptions model, PrivateRunOptions runOptions, IReadOnlyList<string> modes,
        string promptText, int maxTokens, string windowText, string? jsonPath, CancellationToken cancel)
    {
        var loaded = model.Load(parse);
        var prompt = loaded.Tokenizer.Encode(promptText);
        TextGenerator.CheckFitsContext(prompt.Count, maxTokens, loaded.Weights.Config.SeqLen);
        int defaultWindow = KvCacheSpec.ParseWindow(windowText, "--recent-window");
        var baseSettings = runOptions.Parse(parse);
        string modelName = Path.GetFileNameWithoutExtension(loaded.ModelPath);

        var runs = new List<(GenerationRun Run, PrivateRunSummary? Cost)>();
        foreach (var mode in modes)
        {
            Console.Error.WriteLine($"pi: running {mode}...");
            if (mode.StartsWith("private", StringComparison.Ordinal))
            {
                var settings = baseSettings with { Scheme = mode switch
                {
                    "private" or "private:3" => SchemeKind.ThreePc,
                    "private:2" => SchemeKind.TwoPcDealer,
                    _ => throw new InputException($"unknown mode '{mode}': use private:3 or private:2"),
                } };
                await using var runner = await PrivateRunner.StartAsync(settings, cancel);
                var results = await runner.GenerateAsync(loaded.Weights, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), maxTokens, cancel);
                var client = results.Single(r => r.PartyId == PartyIds.Client);
                var run = new GenerationRun { Mode = mode, Tokens = client.Tokens, Logits = client.Logits, PrefillMs = client.PrefillMs, DecodeMs = client.DecodeMs };
                runs.Add((run, PrivateRunSummary.From(results)));
            }
            else
            {
                var spec = KvCacheSpec.Parse(mode, defaultWindow);
                var transformer = new PlainTransformer(loaded.Weights, spec.Factory(loaded.Weights)());
                // A warm-up pass first, so plaintext timings are not JIT start-up.
                GenerationRun.Plain(mode, new PlainTransformer(loaded.Weights, spec.Factory(loaded.Weights)()), prompt, Math.Min(maxTokens, 8), new Sampler(0, 0.9f, 1));
                runs.Add((GenerationRun.Plain(mode, transformer, prompt, maxTokens, new Sampler(0, 0.9f, 1)), null));
            }
        }

        var reference = runs[0].Run;
        double refMs = PrivateRunSummary.Median(reference.DecodeMs);
        var sb = new StringBuilder();
        sb.AppendLine($"Greedy generation, {modelName}, prompt of {prompt.Count} tokens, up to {maxTokens} new tokens; reference: {reference.Mode}.");
        sb.AppendLine($"Private runs: transport {baseSettings.Transport}, network {baseSettings.Network.Description}.");
        sb.AppendLine();
        sb.AppendLine("| mode | tokens | agreement | first divergence | max \\|logit error\\| | prefill ms | decode median ms | decode p90 ms | slowdown | bytes sent per token (P0/P1/P2) | rounds per token |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var rows = new List<object>();
        foreach (var (run, cost) in runs)
        {
            int agree = run.Tokens.Zip(reference.Tokens).Count(p => p.First == p.Second);
            double agreement = reference.Tokens.Count == 0 ? 1 : (double)agree / Math.Max(reference.Tokens.Count, run.Tokens.Count);
            var divergence = GenerationRun.FirstDivergence(reference.Tokens, run.Tokens);
            var errors = GenerationRun.MaxLogitError(reference, run);
            double maxErr = errors.Count == 0 ? 0 : errors.Max();
            double median = PrivateRunSummary.Median(run.DecodeMs), p90 = PrivateRunSummary.Percentile(run.DecodeMs, 0.9);
            double slowdown = median / refMs;
            string bytes = cost is null ? "–" : string.Join(" / ", cost.DecodeBytesPerTokenPerParty.Select(Kb));
            string rounds = cost is null ? "–" : cost.DecodeRoundsPerTokenPerParty.Max().ToString(CultureInfo.InvariantCulture);
            sb.AppendLine($"| {run.Mode} | {run.Tokens.Count} | {agreement:P1} | {(divergence is { } d ? d.ToString(CultureInfo.InvariantCulture) : "none")} | {maxErr:G3} | " +
                          $"{run.PrefillMs:F1} | {median:F3} | {p90:F3} | {slowdown:F1}x | {bytes} | {rounds} |");
            rows.Add(new
            {
                Mode = run.Mode, Model = modelName, Tokens = run.Tokens.Count, Agreement = agreement, FirstDivergence = divergence,
                MaxLogitError = maxErr, PrefillMs = run.PrefillMs, MedianMs = median, P90Ms = p90, Slowdown = slowdown,
                BytesSentPerParty = cost?.DecodeBytesPerTokenPerParty, Rounds = cost?.DecodeRoundsPerTokenPerParty.Max(),
                Transport = cost is null ? null : baseSettings.Transport, Network = cost is null ? null : baseSettings.Network.Name,
            });
        }
        sb.AppendLine();
        sb.AppendLine("Tokens side by side:");
        sb.AppendLine();
        sb.AppendLine("| step | " + string.Join(" | ", runs.Select(r => r.Run.Mode)) + " |");
        sb.AppendLine("|---:|" + string.Concat(runs.Select(_ => "---|")));
        int steps = runs.Max(r => r.Run.Tokens.Count);
        for (int i = 0; i < steps; i++)
        {
            var cells = runs.Select(r =>
            {
                if (i >= r.Run.Tokens.Count) return "";
                string piece = loaded.Tokenizer.Piece(r.Run.Tokens[i]).Replace("\n", "\\n").Replace("|", "\\|");
                bool differs = i >= reference.Tokens.Count || reference.Tokens[i] != r.Run.Tokens[i];
                return differs ? $"**`{piece}`**" : $"`{piece}`";
            });
            sb.AppendLine($"| {i} | {string.Join(" | ", cells)} |");
        }
        sb.AppendLine();
        sb.AppendLine($"machine: {MachineInfo.Describe()}");
        Console.Write(sb.ToString());
        if (jsonPath is not null) JsonReport.Write(jsonPath, "pi compare", rows);
        return 0;
    }

    private static string Kb(long bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:F2} MB" : $"{bytes / 1024.0:F1} KB";
}
