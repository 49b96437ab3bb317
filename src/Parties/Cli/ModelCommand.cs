using System.CommandLine;
using PrivateInference.Engine.Models;


namespace PrivateInference.Parties.Cli;

/// <summary>`pi model synth`: writes a random-weight preset as a llama2.c checkpoint (for other tools and baselines).</summary>
public static class ModelCommand
{
    public static Command Create()
    {
        var model = new Command("model", "Model utilities.");
        var preset = new Option<string>("--preset") { Description = $"shape: {string.Join(", ", SyntheticModels.Presets.Keys)}", Required = true };
        var layers = new Option<int?>("--layers") { Description = "keep only the first K layers" };
        var seed = new Option<int>("--seed") { Description = "weight seed", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "checkpoint file to write", Required = true };
        var synth = new Command("synth", "Write a random-weight model of a preset shape as a llama2.c checkpoint.");
        foreach (var o in new Option[] { preset, layers, seed, output }) synth.Options.Add(o);
        synth.SetAction(parse => CliErrors.Run(() =>
        {
            var weights = SyntheticModels.Create(SyntheticModels.Preset(parse.GetValue(preset)!, parse.GetValue(layers)), parse.GetValue(seed));
            Llama2cCheckpoint.Save(weights, parse.GetValue(output)!);
            Console.Error.WriteLine($"pi: wrote {parse.GetValue(output)} ({weights.Config})");
            return 0;
        }));
        model.Subcommands.Add(synth);

        var scaleOptions = new ModelOptions();
        var residualScale = new Option<float>("--residual-scale") { Description = "multiply the residual stream: embeddings, Wo and W2 (Σx² grows with its square; the text stays the same)", DefaultValueFactory = _ => 1 };
        var scoreScale = new Option<float>("--score-scale") { Description = "multiply the attention scores (Wq and Wk by its square root)", DefaultValueFactory = _ => 1 };
        var scaledOut = new Option<string>("--out") { Description = "checkpoint file to write", Required = true };
        var scale = new Command("scale", "Write a variant of a model with larger activations, to test the private ranges.");
        scaleOptions.AddTo(scale);
        foreach (var o in new Option[] { residualScale, scoreScale, scaledOut }) scale.Options.Add(o);
        scale.SetAction(parse => CliErrors.Run(() =>
        {
            var (_, weights) = scaleOptions.LoadWeights(parse);
            float e = parse.GetValue(residualScale), s = parse.GetValue(scoreScale);
            if (!(e > 0) || !(s > 0)) throw new Engine.InputException("--residual-scale and --score-scale must be positive");
            Llama2cCheckpoint.Save(ModelVariants.Scaled(weights, e, s), parse.GetValue(scaledOut)!);
            Console.Error.WriteLine($"pi: wrote {parse.GetValue(scaledOut)} (residual stream x{e}, scores x{s})");
            return 0;
        }));
        model.Subcommands.Add(scale);

        var rangeOptions = new ModelOptions();
        var text = new Option<string>("--text") { Description = "sample text (UTF-8; split on blank lines, each chunk a sequence)", Required = true };
        var chunks = new Option<int>("--chunks") { Description = "chunks of the text to run", DefaultValueFactory = _ => 8 };
        var ranges = new Command("ranges", "Measure in plaintext the activation ranges the private protocols must cover and check them (exit 1 when the model leaves them).");
        rangeOptions.AddTo(ranges);
        ranges.Options.Add(text);
        ranges.Options.Add(chunks);
        ranges.SetAction(parse => CliErrors.Run(() =>
        {
            var loaded = rangeOptions.Load(parse);
            int count = parse.GetValue(chunks);
            if (count < 1) throw new Engine.InputException($"--chunks must be at least 1, got {count}");
            var sequences = Engine.Evaluation.TextChunks.Split(Engine.Evaluation.TextChunks.ReadUtf8(parse.GetValue(text)!)).Take(count)
                .Select(c => (IReadOnlyList<int>)loaded.Tokenizer.Encode(c)).ToList();
            var r = Engine.Evaluation.ActivationRanges.Measure(loaded.Weights, sequences);
            Console.WriteLine(FormattableString.Invariant($"sum of squares + d*eps: {r.MinSumSquares:G4} .. {r.MaxSumSquares:G4} (2^{Math.Log2(r.MinSumSquares):F1} .. 2^{Math.Log2(r.MaxSumSquares):F1})"));
            Console.WriteLine(FormattableString.Invariant($"max |attention score|: {r.MaxAbsScore:G4}; max |SiLU input|: {r.MaxAbsGate:G4}"));
            var folded = Engine.Private.FoldedWeights.Fold(loaded.Weights);
            var (scoreBound, gateBound) = Engine.Private.NonlinearDomains.Bounds(folded);
            var domains = folded.Domains;
            Console.WriteLine(FormattableString.Invariant($"bounds from the weights (any prompt): |attention score| <= {scoreBound:G4}, |SiLU input| <= {gateBound:G4}; private domains 2^{domains.ScoreLog2}, 2^{domains.GateLog2}"));
            if (Engine.Evaluation.PrivateCoverage.Check(r) is { } problem) throw new Engine.InputException(problem);
            Console.WriteLine("inside the private ranges");
            return 0;
        }));
        model.Subcommands.Add(ranges);

        var options = new ModelOptions();
        var hash = new Command("hash", "Print the model hash parties can pin (`pi party --model-hash`): SHA-256 of the public shape and the nonlinear domains the weights allow.");
        options.AddTo(hash);
        hash.SetAction(parse => CliErrors.Run(() =>
        {
            var (_, weights) = options.LoadWeights(parse);
            Console.WriteLine(PrivateInference.Parties.Jobs.PrivateJobArguments.ModelHash(Engine.Private.FoldedWeights.Fold(weights)));
            return 0;
        }));
        model.Subcommands.Add(hash);
        return model;
    }
}
