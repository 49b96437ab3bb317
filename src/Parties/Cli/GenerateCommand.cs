using System.CommandLine;
using System.Diagnostics;
using PrivateInference.Engine.Generation;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine.Sampling;

namespace PrivateInference.Parties.Cli;

/// <summary>`pi generate`: text on stdout, everything else (timings, progress) on stderr.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var mode = new Option<string>("--mode") { Description = "engine: plain (float32, one process)", DefaultValueFactory = _ => "plain" };
        mode.AcceptOnlyFromAmong("plain");
        var prompt = new Option<string>("--prompt") { Description = "prompt text (default: none, start from BOS)", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "number of tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "sampling temperature; 0 = greedy", DefaultValueFactory = _ => 1.0f };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling threshold in [0,1] (0 or 1 = off)", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<ulong?>("--seed") { Description = "sampling seed (default: from the clock, printed on stderr)" };
        var json = new Option<string?>("--json") { Description = "write the run's figures as JSON to this file" };
        var kv = new Option<string>("--kv")
        {
            Description = "KV cache of the plain engine: fp32, fp16, kivi:B, xquant:B, xquant-cl:B (B in 2,3,4), " +
                          $"optionally :window=N|off (fp16 recent window, default {KvCacheSpec.DefaultRecentWindow})",
            DefaultValueFactory = _ => "fp32",
        };

        var command = new Command("generate", "Generate text from a prompt (plaintext engine).");
        model.AddTo(command);
        foreach (var o in new Option[] { mode, prompt, maxTokens, temperature, topP, seed, json, kv }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var cacheSpec = KvCacheSpec.Parse(parse.GetValue(kv)!);
            var loaded = model.Load(parse);
            var tokens = loaded.Tokenizer.Encode(parse.GetValue(prompt) ?? "");
            int max = parse.GetValue(maxTokens);
            TextGenerator.CheckFitsContext(tokens.Count, max, loaded.Weights.Config.SeqLen);
            ulong usedSeed = parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks;
            float temp = parse.GetValue(temperature);
            var sampler = new Sampler(temp, parse.GetValue(topP), usedSeed);
            if (temp > 0 && parse.GetValue(seed) is null) Console.Error.WriteLine($"pi: seed {usedSeed}");

            var generator = new TextGenerator(new PlainTransformer(loaded.Weights, cacheSpec.Factory(loaded.Weights)()), sampler);
            using var stdout = Console.OpenStandardOutput();
            var clock = Stopwatch.StartNew();
            int previous = tokens[^1], produced = 0;
            foreach (var next in generator.Generate(tokens, max))
            {
                stdout.Write(loaded.Tokenizer.DecodePiece(previous, next));
                stdout.Flush();
                previous = next;
                produced++;
            }
            stdout.Write("\n"u8);
            clock.Stop();
            double tokPerSec = produced / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            Console.Error.WriteLine($"pi: {produced} tokens in {clock.Elapsed.TotalMilliseconds:F0} ms ({tokPerSec:F1} tok/s), prompt {tokens.Count} tokens, mode plain, kv {cacheSpec.Name}" +
                                    (cacheSpec.IsQuantized ? $" (recent window {cacheSpec.WindowText})" : ""));
            if (parse.GetValue(json) is { } path)
                JsonReport.Write(path, "pi generate", [new { Mode = "plain", Cache = cacheSpec.Name, Model = Path.GetFileNameWithoutExtension(loaded.ModelPath), Tokens = produced, TokensPerSecond = tokPerSec, PromptTokens = tokens.Count }]);
            return 0;
        }));
        return command;
    }
}
