using System.CommandLine;
using PrivateInference.Parties.Cli;

var root = new RootCommand("PrivateInference: private transformer inference between party processes");
root.Subcommands.Add(PartyCommand.Create());
root.Subcommands.Add(LaunchCommand.Create());
root.Subcommands.Add(ExchangeCheckCommand.Create());
return await root.Parse(args).InvokeAsync();
