using System.CommandLine;
using PrivateInference.Engine;
using PrivateInference.Parties.Private;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Cli;

/// <summary>The options of every command that runs the private engine: parties, transport, cluster, network.</summary>
internal sealed class PrivateRunOptions
{
    private readonly NetworkOptions _network = new();
    private readonly DeviceOption _device = new();

    public Option<int> Parties { get; } = new("--parties")
    {
        Description = "3: replicated sharing among P0, P1, P2; 2: additive sharing between P0 and P1 with P2 as dealer",
        DefaultValueFactory = _ => 3,
    };

    public Option<string> Transport { get; } = new("--transport")
    {
        Description = "grpc: party processes (local ones are started unless --cluster); inproc: parties as threads of this process",
        DefaultValueFactory = _ => "grpc",
    };

    public Option<string?> Cluster { get; } = new("--cluster")
    {
        Description = "cluster file of running parties (from `pi launch`); default: start local parties for this run",
    };

    public Option<int> FracBits { get; } = new("--frac-bits")
    {
        Description = "fixed-point fractional bits",
        DefaultValueFactory = _ => 16,
    };

    public Option<bool> Insecure { get; } = new("--insecure")
    {
        Description = "plaintext h2c without authentication (local parties, or a cluster file without certificates); default: mutual TLS",
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "seconds any endpoint waits for a silent peer before the run fails",
        DefaultValueFactory = _ => PrivateInference.Parties.Transport.TransportOptions.Default.ReceiveTimeout.TotalSeconds,
    };

    public PrivateRunOptions()
    {
        Parties.AcceptOnlyFromAmong("3", "2");
        Transport.AcceptOnlyFromAmong("grpc", "inproc");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Parties);
        command.Options.Add(Transport);
        command.Options.Add(Cluster);
        command.Options.Add(FracBits);
        command.Options.Add(Insecure);
        command.Options.Add(Timeout);
        _network.AddTo(command);
        _device.AddTo(command);
    }

    public PrivateRunSettingsCli Parse(ParseResult parse)
    {
        int bits = parse.GetValue(FracBits);
        if (bits is < 8 or > 24) throw new InputException($"--frac-bits must lie in 8..24, got {bits}");
        var transport = parse.GetValue(Transport)!;
        var cluster = parse.GetValue(Cluster);
        if (cluster is not null && transport == "inproc") throw new InputException("--cluster needs --transport grpc");
        Protocols.Communication.NetworkProfile network;
        try { network = _network.Parse(parse); }
        catch (ArgumentException e) { throw new InputException(e.Message); }
        double timeout = parse.GetValue(Timeout);
        if (!(timeout > 0)) throw new InputException($"--timeout must be > 0 seconds, not {timeout}");
        return new PrivateRunSettingsCli(
            parse.GetValue(Parties) == 2 ? SchemeKind.TwoPcDealer : SchemeKind.ThreePc, transport, cluster, network, bits,
            _device.Parse(parse))
        {
            Insecure = parse.GetValue(Insecure),
            Timeout = TimeSpan.FromSeconds(timeout),
        };
    }
}
