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

        var options = new ModelOptions();
        var hash = new Command("hash", "Print the model hash parties can pin (`pi party --model-hash`): SHA-256 of the public shape.");
        options.AddTo(hash);
        hash.SetAction(parse => CliErrors.Run(() =>
        {
            var (_, weights) = options.LoadWeights(parse);
            Console.WriteLine(PrivateInference.Parties.Jobs.PrivateJobArguments.ModelHash(weights.Config));
            return 0;
        }));
        model.Subcommands.Add(hash);
        return model;
    }
}
