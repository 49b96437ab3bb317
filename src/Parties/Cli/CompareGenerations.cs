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
/// `pi compare --modes plain,private:3,private:2 ...`: runs the same greedy generation in every mode (starting the
/// parties for the private ones) and prints <see cref="Engine.Evaluation.GenerationComparison"/>'s report.
/// </summary>
internal static class CompareGenerations
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

        var compared = runs.Select(r => new ComparedGeneration(r.Run, r.Cost)).ToArray();
        var rows = Engine.Evaluation.GenerationComparison.Compare(compared);
        var sb = new StringBuilder();
        sb.Append(Engine.Evaluation.GenerationComparison.Markdown(compared, rows, loaded.Tokenizer,
            $"Greedy generation, {modelName}, prompt of {prompt.Count} tokens, up to {maxTokens} new tokens; reference: {compared[0].Run.Mode}.\n" +
            $"Private runs: transport {baseSettings.Transport}, network {baseSettings.Network.Description}."));
        sb.AppendLine();
        sb.AppendLine($"machine: {MachineInfo.Describe()}");
        Console.Write(sb.ToString());
        if (jsonPath is not null)
            JsonReport.Write(jsonPath, "pi compare", rows.Select(r => (object)new
            {
                r.Mode, Model = modelName, r.Tokens, r.Agreement, r.FirstDivergence, r.MaxLogitError, r.MaxReferenceLogit, r.PrefillMs, r.MedianMs, r.P90Ms, r.Slowdown,
                r.BytesSentPerParty, r.Rounds,
                Transport = r.BytesSentPerParty is null ? null : baseSettings.Transport, Network = r.BytesSentPerParty is null ? null : baseSettings.Network.Name,
            }).ToList());
        return 0;
    }
}
