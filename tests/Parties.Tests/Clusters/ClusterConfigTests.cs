
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Tests;

public sealed class ClusterConfigTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pi-config-test-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteFile(string json)
    {
        var path = Path.Combine(_directory, "cluster.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_saved_cluster_file_loads_back_equal()
    {
        var config = new ClusterConfig("c1", "2pc",
            [new PartyAddress(2, "10.0.0.3", 7002), new PartyAddress(0, "10.0.0.1", 7000), new PartyAddress(1, "localhost", 7001)]);
        var path = Path.Combine(_directory, "cluster.json");

        config.Save(path);
        var loaded = ClusterConfig.Load(path);

        Assert.Equal("c1", loaded.ClusterId);
        Assert.Equal("2pc", loaded.Scheme);
        Assert.Equal([0, 1, 2], loaded.PartyIds);
        Assert.Equal(new Uri("http://localhost:7001"), loaded.Party(1).Uri);
        Assert.Contains("\"cluster_id\"", File.ReadAllText(path));
        Assert.DoesNotContain("party_ids", File.ReadAllText(path));
    }

    [Fact]
    public void A_missing_file_is_reported_with_its_path()
    {
        var path = Path.Combine(_directory, "absent.json");

        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfig.Load(path));

        Assert.Contains("cannot read cluster file", error.Message);
        Assert.Contains("absent.json", error.Message);
    }

    [Theory]
    [InlineData("{ not json", "is not valid JSON")]
    [InlineData("""{"cluster_id":"c","scheme":"3pc","parties":[{"id":0,"host":"h","port":1},{"id":0,"host":"h","port":2},{"id":2,"host":"h","port":3}]}""", "ids must be 0..2")]
    [InlineData("""{"cluster_id":"c","scheme":"4pc","parties":[{"id":0,"host":"h","port":1},{"id":1,"host":"h","port":2}]}""", "unknown scheme '4pc'")]
    [InlineData("""{"cluster_id":"c","scheme":"2pc","parties":[{"id":0,"host":"h","port":1},{"id":1,"host":"h","port":2}]}""", "2pc needs 3 parties")]
    [InlineData("""{"cluster_id":"c","scheme":"3pc","parties":[{"id":0,"host":"h","port":1},{"id":1,"host":"h","port":70000}]}""", "outside 1..65535")]
    [InlineData("""{"cluster_id":"c","scheme":"3pc","parties":[{"id":0,"host":"","port":1},{"id":1,"host":"h","port":2}]}""", "party 0 has no host")]
    [InlineData("""{"cluster_id":"c","scheme":"3pc","parties":[]}""", "2 or 3 parties")]
    public void An_inconsistent_file_is_refused_with_a_reason(string json, string expected)
    {
        var error = Assert.Throws<ClusterConfigException>(() => ClusterConfig.Load(WriteFile(json)));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Asking_for_a_party_outside_the_cluster_names_the_parties_it_has()
    {
        var config = new ClusterConfig("c", "3pc", [new PartyAddress(0, "h", 1), new PartyAddress(1, "h", 2)]).Validated();

        var error = Assert.Throws<ClusterConfigException>(() => config.Party(4));

        Assert.Contains("party 4 is not in cluster 'c' (its parties are 0, 1)", error.Message);
    }
}
