using System.CommandLine;
using System.Globalization;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Launch;
using PrivateInference.Parties.Security;

namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi keys --parties 3 --out DIR`: a key pair and self-signed certificate for every party, the client and the model
/// owner, and the cluster file that pins them. Copy the cluster file and all .crt files everywhere, each party's
/// .key to its own host only, and client.key / owner.key to the hosts that play those roles.
/// </summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var parties = new Option<int>("--parties")
        {
            Description = "3: three compute parties (3pc); 2: two compute parties and a dealer (2pc); three party keys either way",
            DefaultValueFactory = _ => 3,
        };
        parties.AcceptOnlyFromAmong("3", "2");
        var output = new Option<string>("--out") { Description = "Directory to write the keys, certificates and cluster.json into", Required = true };
        var hosts = new Option<string>("--hosts")
        {
            Description = "Comma-separated host of party 0, 1, 2 (an address or a name peers can reach)",
            DefaultValueFactory = _ => "127.0.0.1,127.0.0.1,127.0.0.1",
        };
        var port = new Option<int>("--port") { Description = "Port of party 0; party i listens on port + i", DefaultValueFactory = _ => 50100 };
        var clusterId = new Option<string?>("--cluster-id") { Description = "Cluster id (default: a fresh random one)" };

        var command = new Command("keys", "Create key pairs, self-signed certificates and a cluster file pinning them (mutual TLS)");
        foreach (var option in new Option[] { parties, output, hosts, port, clusterId })
            command.Options.Add(option);
        command.SetAction(result =>
        {
            try
            {
                var scheme = LocalClusterOptions.SchemeForPartyCount(result.GetValue(parties));
                var hostList = result.GetValue(hosts)!.Split(',', StringSplitOptions.TrimEntries);
                if (hostList.Length != 3 || hostList.Any(string.IsNullOrEmpty))
                    throw new ArgumentException($"--hosts names {hostList.Length} hosts; give exactly 3, comma-separated");
                var basePort = result.GetValue(port);
                if (basePort is < 1 or > 65533)
                    throw new ArgumentException($"--port must lie in 1..65533, not {basePort}");
                var directory = result.GetValue(output)!;
                var id = result.GetValue(clusterId) ?? $"{scheme}-{Guid.NewGuid().ToString("N")[..8]}";
                var addresses = new ClusterConfig(id, scheme,
                    hostList.Select((host, i) => new PartyAddress(i, host, basePort + i)).ToArray()).Validated();
                var clusterFile = Path.Combine(directory, "cluster.json");
                // Never overwrite: replacing a deployed key by accident would lock its holder out.
                var cluster = KeyFiles.Generate(addresses, directory, clusterFile, overwrite: false);
                Console.WriteLine(Path.GetFullPath(clusterFile));
                foreach (var party in cluster.Parties)
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"pi keys: party {party.Id} at {party.Host}:{party.Port} sha256 {party.CertSha256} (key {KeyFiles.PartyName(party.Id)}.key)"));
                foreach (var client in cluster.Clients!)
                    Console.Error.WriteLine($"pi keys: {client.Role} sha256 {client.CertSha256} (key {client.Role}.key)");
                Console.Error.WriteLine("pi keys: copy cluster.json and the .crt files to every host; each .key only to the host that plays it");
                return 0;
            }
            catch (ArgumentException e)
            {
                return CliErrors.Report("keys", e.Message, CliErrors.BadInput);
            }
            catch (Exception e) when (e is ClusterConfigException or IOException or UnauthorizedAccessException)
            {
                return CliErrors.Report("keys", e.Message, CliErrors.Failed);
            }
        });
        return command;
    }
}
