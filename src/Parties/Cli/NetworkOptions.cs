using System.CommandLine;
using PrivateInference.Protocols.Communication;


namespace PrivateInference.Parties.Cli;

/// <summary>The `--net`, `--delay-ms` and `--bandwidth` options, shared by every command that moves shares.</summary>
internal sealed class NetworkOptions
{
    public Option<string> Net { get; } = new("--net")
    {
        Description = "Emulated network: none, lan (1 Gbit/s, 0.5 ms one-way) or wan (100 Mbit/s, 20 ms one-way)",
        DefaultValueFactory = _ => "none",
    };

    public Option<double?> DelayMs { get; } = new("--delay-ms")
    {
        Description = "Emulated one-way delay per message in milliseconds (overrides the --net preset)",
    };

    public Option<double?> Bandwidth { get; } = new("--bandwidth")
    {
        Description = "Emulated bandwidth per directed link in Mbit/s (overrides the --net preset)",
    };

    public NetworkOptions() => Net.AcceptOnlyFromAmong("none", "lan", "wan");

    public void AddTo(Command command)
    {
        command.Options.Add(Net);
        command.Options.Add(DelayMs);
        command.Options.Add(Bandwidth);
    }

    /// <summary>Throws <see cref="ArgumentException"/> with a user-facing message for impossible figures.</summary>
    public NetworkProfile Parse(ParseResult result) =>
        NetworkProfile.Parse(result.GetValue(Net), result.GetValue(DelayMs), result.GetValue(Bandwidth));
}
