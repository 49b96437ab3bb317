using System.CommandLine;
using PrivateInference.Parties.Cli;

var root = new RootCommand("pi — PrivateInference: transformer inference on secret-shared data, beside a plaintext engine.");
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
return root.Parse(args).Invoke();
