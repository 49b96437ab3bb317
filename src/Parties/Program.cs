using System.CommandLine;
using PrivateInference.Parties.Cli;

var root = new RootCommand("pi — PrivateInference: transformer inference on secret-shared data, beside a plaintext engine.");
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(CompareCommand.Create());
root.Subcommands.Add(ModelCommand.Create());
root.Subcommands.Add(PartyCommand.Create());
root.Subcommands.Add(LaunchCommand.Create());
root.Subcommands.Add(KeysCommand.Create());
root.Subcommands.Add(ExchangeCheckCommand.Create());
root.Subcommands.Add(OwnerCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());

var parse = root.Parse(args);
// A mistyped command line gets one line on stderr (not the whole help text on stdout) and a non-zero exit.
if (parse.Errors.Count > 0)
{
    var more = parse.Errors.Count > 1 ? $" (and {parse.Errors.Count - 1} more)" : "";
    Console.Error.WriteLine($"pi: error: {parse.Errors[0].Message}{more}; see '{string.Join(' ', CommandPath(parse))} --help'");
    return CliErrors.BadInput;
}
return await parse.InvokeAsync();

static IEnumerable<string> CommandPath(ParseResult parse)
{
    var names = new List<string>();
    for (var r = parse.CommandResult; r != null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        names.Insert(0, r.Command is RootCommand ? "pi" : r.Command.Name);
    return names;
}
