using PrivateInference.Parties.Launch;


namespace PrivateInference.Parties.Tests;

/// <summary>One 3pc cluster of real `pi party` processes shared by the tests that only run jobs on it.</summary>
public sealed class LocalClusterFixture : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Scheme = "3pc",
            ReceiveTimeout = TimeSpan.FromSeconds(20),
        });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
