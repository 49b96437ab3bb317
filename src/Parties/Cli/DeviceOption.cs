using System.CommandLine;
using PrivateInference.Kernels.Backends;


namespace PrivateInference.Parties.Cli;

/// <summary>`--device cpu|cuda|auto`: where a party does its share arithmetic.</summary>
internal sealed class DeviceOption
{
    public Option<string> Option { get; } = new("--device")
    {
        Description = "where the parties compute on shares: cpu (SIMD + threads), cuda (first GPU; an error without one), auto (cuda when present, else cpu)",
        DefaultValueFactory = _ => "cpu",
    };

    public DeviceOption() => Option.AcceptOnlyFromAmong(RingDeviceNames.All);

    public void AddTo(Command command) => command.Options.Add(Option);

    public RingDevice Parse(ParseResult parse) => RingDeviceNames.Parse(parse.GetValue(Option)!);
}
