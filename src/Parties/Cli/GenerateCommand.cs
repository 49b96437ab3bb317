using System.CommandLine;
using System.Diagnostics;
using PrivateInference.Engine.Generation;
using PrivateInference.Engine.KvCache;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Engine;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Private;


namespace PrivateInference.Parties.Cli;

/// <summary>`pi generate`: text on stdout as it is generated; progress and figures on stderr.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var run = new PrivateRunOptions();
        var mode = new Option<string>("--mode") { Description = "private: secret-shared over party processes; plain: float32 in this process", DefaultValueFactory = _ => "private" };
        mode.AcceptOnlyFromAmong("private", "plain");
        var prompt = new Option<string>("--prompt") { Description = "prompt text (default: none, start from BOS)", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "number of tokens to generate", DefaultValueFactory = _ => 256 };
        var temperature = new Option<float>("--temperature") { Description = "sampling temperature; 0 = greedy", DefaultValueFactory = _ => 1.0f };
        var topP = new Option<float>("--top-p") { Description = "nucleus sampling threshold in [0,1] (0 or 1 = off)", DefaultValueFactory = _ => 0.9f };
        var seed = new Option<ulong?>("--seed") { Description = "sampling seed (default: from the clock, printed on stderr)" };
        var json = new Option<string?>("--json") { Description = "write the run's figures as JSON to this file" };
        var breakdown = new Option<bool>("--breakdown")
        {
            Description = "private mode: print each party's rounds, online and preprocessing bytes and time per operation, for the prefill and the last decode step",
        };
        var cache = new Option<string>("--cache")
        {
            Description = "attention-cache policy: full, mpcache, static, dynamic (with :key=value options, see pi eval cache); private and plain modes",
            DefaultValueFactory = _ => "full",
        };
        var kv = new Option<string>("--kv")
        {
            Description = "KV cache of the plain engine: fp32, fp16, kivi:B, xquant:B, xquant-cl:B (B in 2,3,4), " +
                          $"optionally :window=N|off (fp16 recent window, default {KvCacheSpec.DefaultRecentWindow})",
            DefaultValueFactory = _ => "fp32",
        };

        var description = new Option<string?>("--model-description")
        {
            Description = "run from weight shares the parties of --cluster keep at rest (`pi owner share`): the public model description " +
                          "it wrote; no checkpoint is read",
        };

        var command = new Command("generate", "Generate text from a prompt: privately over 3 (or 2 + dealer) parties, or in plaintext.");
        model.AddTo(command);
        run.AddTo(command);
        foreach (var o in new Option[] { mode, prompt, maxTokens, temperature, topP, seed, json, breakdown, kv, cache, description }) command.Options.Add(o);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            var cacheSpec = KvCacheSpec.Parse(parse.GetValue(kv)!);
            var policy = Engine.CachePolicies.CachePolicyOptions.Parse(parse.GetValue(cache)!);
            if (parse.GetValue(description) is { } descriptionPath)
                return await FromStoredSharesAsync(parse, descriptionPath);
            var loaded = model.Load(parse);
            var tokens = loaded.Tokenizer.Encode(parse.GetValue(prompt) ?? "");
            int max = parse.GetValue(maxTokens);
            TextGenerator.CheckFitsContext(tokens.Count, max, loaded.Weights.Config.SeqLen);
            ulong usedSeed = parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks;
            float temp = parse.GetValue(temperature);
            var sampler = new Sampler(temp, parse.GetValue(topP), usedSeed);
            if (temp > 0 && parse.GetValue(seed) is null) Console.Error.WriteLine($"pi: seed {usedSeed}");
            string modelName = Path.GetFileNameWithoutExtension(loaded.ModelPath);

            var output = new TokenPrinter(loaded.Tokenizer, tokens);
            if (parse.GetValue(mode) == "plain")
            {
                if (parse.GetValue(breakdown)) throw new InputException("--breakdown applies to --mode private: plaintext sends nothing");
                var clock = Stopwatch.StartNew();
                int produced = 0;
                var attention = policy.Kind == Engine.CachePolicies.CachePolicyKind.Full ? null
                    : new Engine.CachePolicies.PlainCachePolicy(loaded.Weights.Config, policy, tokens.Count);
                foreach (var next in new TextGenerator(new PlainTransformer(loaded.Weights, cacheSpec.Factory(loaded.Weights)(), attention), sampler).Generate(tokens, max))
                {
                    output.Write(next);
                    produced++;
                }
                output.End();
                double tokPerSec = produced / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                Console.Error.WriteLine($"pi: {produced} tokens in {clock.Elapsed.TotalMilliseconds:F0} ms ({tokPerSec:F1} tok/s), prompt {tokens.Count} tokens, mode plain, kv {cacheSpec.Name}" +
                                        (cacheSpec.IsQuantized ? $" (recent window {cacheSpec.WindowText})" : ""));
                if (parse.GetValue(json) is { } path)
                    JsonReport.Write(path, "pi generate", [new { Mode = "plain", Cache = cacheSpec.Name, Model = modelName, Tokens = produced, TokensPerSecond = tokPerSec, PromptTokens = tokens.Count }]);
                return 0;
            }

            if (parse.GetResult(kv) is { Implicit: false })
                throw new InputException("--kv applies to --mode plain; the private engine keeps its cache as shares");
            var settings = run.Parse(parse);
            var client = new ClientInputs(tokens, sampler, output.Write);
            await using var runner = await PrivateRunner.StartAsync(settings, cancel);
            var results = await runner.GenerateAsync(loaded.Weights, client, max, cancel, policy);
            output.End();
            var summary = PrivateRunSummary.From(results);
            Console.Error.WriteLine(PrivateRunReport.Describe(settings, summary) + $"\npi: cache policy {policy}");
            if (parse.GetValue(breakdown)) PrintBreakdown(results, settings);
            if (parse.GetValue(json) is { } jsonPath)
                JsonReport.Write(jsonPath, "pi generate", [PrivateRunReport.Row(settings, modelName, tokens.Count, summary)]);
            return 0;
        }));
        return command;

        // The client alone: the prompt and the public description, never the checkpoint; the parties serve the session
        // from the shares they keep at rest.
        async Task<int> FromStoredSharesAsync(ParseResult parse, string descriptionPath)
        {
            if (parse.GetValue(mode) != "private")
                throw new InputException("--model-description runs privately from stored shares; --mode plain needs the checkpoint (--model)");
            if (parse.GetResult(model.Model) is { Implicit: false })
                throw new InputException("--model-description replaces --model: the client holds no weights");
            var settings = run.Parse(parse);
            if (settings.ClusterFile is null)
                throw new InputException("--model-description needs --cluster: the parties that hold the shares");
            var described = ModelDescription.Load(descriptionPath);
            var tokenizer = Llama2cTokenizer.Load(parse.GetValue(model.Tokenizer) ?? described.Tokenizer);
            if (tokenizer.VocabSize != described.Config.VocabSize)
                throw new InputException($"the tokenizer has {tokenizer.VocabSize} tokens but the model description a vocabulary of {described.Config.VocabSize}");
            var tokens = tokenizer.Encode(parse.GetValue(prompt) ?? "");
            int max = parse.GetValue(maxTokens);
            TextGenerator.CheckFitsContext(tokens.Count, max, described.Config.SeqLen);
            float temp = parse.GetValue(temperature);
            ulong usedSeed = parse.GetValue(seed) ?? (ulong)DateTime.UtcNow.Ticks;
            if (temp > 0 && parse.GetValue(seed) is null) Console.Error.WriteLine($"pi: seed {usedSeed}");
            var policy = Engine.CachePolicies.CachePolicyOptions.Parse(parse.GetValue(cache)!);
            var output = new TokenPrinter(tokenizer, tokens);
            var client = new ClientInputs(tokens, new Sampler(temp, parse.GetValue(topP), usedSeed), output.Write);
            await using var runner = await PrivateRunner.StartAsync(settings, CancellationToken.None);
            var results = await runner.GenerateFromStoreAsync(described.Config, described.Domains, client, max, CancellationToken.None, policy);
            output.End();
            var summary = PrivateRunSummary.From(results);
            Console.Error.WriteLine(PrivateRunReport.Describe(settings, summary) + $"\npi: cache policy {policy}; weights: the parties' stored shares of model {described.ModelHash}");
            if (parse.GetValue(breakdown)) PrintBreakdown(results, settings);
            if (parse.GetValue(json) is { } jsonPath)
                JsonReport.Write(jsonPath, "pi generate", [PrivateRunReport.Row(settings, Path.GetFileNameWithoutExtension(descriptionPath), tokens.Count, summary)]);
            return 0;
        }
    }

    private static void PrintBreakdown(IReadOnlyList<PrivateRunResult> results, PrivateRunSettingsCli settings)
    {
        Console.Error.WriteLine(OperationBreakdown.Table("prefill", results, r => r.PrefillByLabel, settings.Network));
        if (results.Any(r => r.LastStepByLabel.Count > 0))
            Console.Error.WriteLine(OperationBreakdown.Table("last decode step", results, r => r.LastStepByLabel, settings.Network));
    }

    /// <summary>Streams decoded pieces to stdout as raw UTF-8 (a piece may be half a character), the prompt first.</summary>
    private sealed class TokenPrinter
    {
        private readonly Llama2cTokenizer _tokenizer;
        private readonly Stream _stdout = Console.OpenStandardOutput();
        private int _previous;

        public TokenPrinter(Llama2cTokenizer tokenizer, IReadOnlyList<int> prompt)
        {
            _tokenizer = tokenizer;
            // Like llama2.c, the prompt is echoed first so that stdout reads as one text.
            for (int i = 1; i < prompt.Count; i++) _stdout.Write(tokenizer.DecodePiece(prompt[i - 1], prompt[i]));
            _previous = prompt[^1];
        }

        public void Write(int token)
        {
            _stdout.Write(_tokenizer.DecodePiece(_previous, token));
            _stdout.Flush();
            _previous = token;
        }

        public void End()
        {
            _stdout.Write("\n"u8);
            _stdout.Flush();
        }
    }
}
