using System.Net.Sockets;
using System.Net;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Tests;

[Collection(PartyProcessesCollection.Name)]
public sealed class PartyCommandTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly string _directory = Directory.CreateTempSubdirectory("pi-party-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string ClusterFile(int port0)
    {
        var path = Path.Combine(_directory, "cluster.json");
        new ClusterConfig("t", "3pc", [new PartyAddress(0, "127.0.0.1", port0), new PartyAddress(1, "127.0.0.1", 1), new PartyAddress(2, "127.0.0.1", 2)])
            .Save(path);
        return path;
    }

    private static void AssertOneClearLine(string stderr, string expected)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("pi party: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task A_missing_cluster_file_is_one_line_on_stderr_and_exit_code_2()
    {
        var (exit, _, stderr) = await PiProcessRunner.RunAsync(Limit, "party", "--id", "0", "--cluster", Path.Combine(_directory, "nope.json"));

        Assert.Equal(2, exit);
        AssertOneClearLine(stderr, "cannot read cluster file");
    }

    [Fact]
    public async Task An_invalid_cluster_file_is_one_line_on_stderr_and_exit_code_2()
    {
        var path = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(path, "{ \"parties\": 3 ");

        var (exit, _, stderr) = await PiProcessRunner.RunAsync(Limit, "party", "--id", "0", "--cluster", path);

        Assert.Equal(2, exit);
        AssertOneClearLine(stderr, "is not valid JSON");
    }

    [Fact]
    public async Task An_unknown_party_id_is_one_line_on_stderr_and_exit_code_2()
    {
        var (exit, _, stderr) = await PiProcessRunner.RunAsync(Limit, "party", "--id", "7", "--cluster", ClusterFile(5000));

        Assert.Equal(2, exit);
        AssertOneClearLine(stderr, "party 7 is not in cluster 't'");
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_on_stderr_and_exit_code_1()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var (exit, _, stderr) = await PiProcessRunner.RunAsync(Limit, "party", "--id", "0", "--cluster", ClusterFile(port), "--insecure");

        Assert.Equal(1, exit);
        AssertOneClearLine(stderr, $"port {port} on 127.0.0.1 is already in use");
    }

    [Fact]
    public async Task A_cluster_file_without_certificates_is_refused_without_insecure()
    {
        var (exit, _, stderr) = await PiProcessRunner.RunAsync(Limit, "party", "--id", "0", "--cluster", ClusterFile(5000));

        Assert.Equal(2, exit);
        AssertOneClearLine(stderr, "pins no certificates");
    }

    [Fact]
    public async Task An_impossible_network_setting_is_one_line_on_stderr_and_exit_code_2()
    {
        var (exit, _, stderr) = await PiProcessRunner.RunAsync(Limit, "party", "--id", "0", "--cluster", ClusterFile(5000), "--insecure", "--bandwidth", "-3");

        Assert.Equal(2, exit);
        AssertOneClearLine(stderr, "--bandwidth must be > 0");
    }
}
