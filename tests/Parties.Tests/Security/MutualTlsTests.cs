using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Tests.Security;

/// <summary>Every connection is mutual TLS pinned to the cluster file: strangers are refused in both directions.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class MutualTlsTests
{
    [Fact]
    public async Task A_client_with_a_certificate_not_in_the_cluster_file_is_refused_and_the_party_logs_its_fingerprint()
    {
        await using var parties = await InProcessParties.StartAsync();
        using var stranger = KeyFiles.Create("stranger", []);
        await using var client = parties.CreateClient(new ClusterClientOptions { ClientCertificate = stranger });

        // TLS 1.3 lets the client finish its side before the server's refusal arrives, so the failure surfaces as
        // Unavailable or Internal depending on timing; either way no call gets through.
        await Assert.ThrowsAsync<RpcException>(() => client.HealthAsync());

        var line = await parties.Logs[0].WaitForAsync("Refused a TLS connection", TimeSpan.FromSeconds(5));
        Assert.Contains($"certificate sha256 {CertificateFingerprint.Of(stranger)} is not in cluster file", line);
        // The rightful client still gets in.
        await using var rightful = parties.CreateClient();
        Assert.Equal(3, (await rightful.HealthAsync()).Count);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused()
    {
        await using var parties = await InProcessParties.StartAsync(only: [0], waitReady: false);
        await parties.Logs[0].WaitForAsync("listening on", TimeSpan.FromSeconds(10));
        var party = parties.Cluster.Party(0);
        // A plain TLS client that trusts the party's certificate but presents none of its own.
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(party.Host, party.Port);
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream());

        var refused = await Record.ExceptionAsync(async () =>
        {
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            // Under TLS 1.3 the server's refusal arrives after the client considers the handshake done.
            await tls.WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
            if (await tls.ReadAsync(new byte[64]) == 0)
                throw new IOException("closed by the party");
        });

        Assert.True(refused is IOException or System.Security.Authentication.AuthenticationException, refused?.ToString() ?? "no refusal");
        await parties.Logs[0].WaitForAsync("no client certificate", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_party_with_a_certificate_not_in_the_cluster_file_is_refused_by_its_peers_and_by_the_client()
    {
        using var impostor = KeyFiles.Create("party1", ["127.0.0.1"]);
        await using var parties = await InProcessParties.StartAsync(certificateFor: id => id == 1 ? impostor : null, waitReady: false);
        var fingerprint = CertificateFingerprint.Of(impostor);

        // Party 1 dials party 0 with the impostor certificate: party 0 refuses it in the handshake.
        var line = await parties.Logs[0].WaitForAsync($"certificate sha256 {fingerprint} is not in cluster file", TimeSpan.FromSeconds(10));
        Assert.StartsWith("Warning", line);
        // Party 2 dials party 1 and finds a server certificate other than the pinned one: it hangs up.
        await parties.Logs[2].WaitForAsync($"Refused party 1 at {parties.Cluster.Party(1).Uri}: it presented certificate sha256 {fingerprint}", TimeSpan.FromSeconds(10));

        var clientLogs = new CapturedLogs();
        await using var client = parties.CreateClient(new ClusterClientOptions { Logger = clientLogs.CreateLogger("client") });
        var health = await client.HealthAsync().ContinueWith(t => t.Exception?.GetBaseException());
        Assert.IsType<RpcException>(health);
        Assert.Contains(clientLogs.Lines, l => l.Contains($"Refused party 1", StringComparison.Ordinal));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => client.WaitUntilReadyAsync(TimeSpan.FromSeconds(1)));
        Assert.Contains("party 1 unreachable", timeout.Message);
    }

    [Fact]
    public async Task A_client_certificate_cannot_open_a_link_as_the_model_owner()
    {
        await using var parties = await InProcessParties.StartAsync();
        using var clientKey = parties.Key(KeyFiles.Client);
        await using var mesh = new LinkMesh(parties.Cluster, Endpoints.ModelOwner, TransportOptions.Default, NullLogger.Instance, clientKey);

        mesh.StartDialing();

        var line = await parties.Logs[0].WaitForAsync("Refused a link", TimeSpan.FromSeconds(10));
        Assert.Contains($"claiming to be model owner presented certificate sha256 {CertificateFingerprint.Of(clientKey)}, which the cluster file pins for client", line);
        Assert.False(mesh.Ready);
    }

    [Fact]
    public async Task The_owner_certificate_cannot_take_the_client_link_by_reusing_its_link_id()
    {
        await using var parties = await InProcessParties.StartAsync();
        using var clientKey = parties.Key(KeyFiles.Client);
        using var ownerKey = parties.Key(KeyFiles.Owner);
        await using var clientMesh = new LinkMesh(parties.Cluster, Endpoints.Client, TransportOptions.Default, NullLogger.Instance, clientKey);
        clientMesh.StartDialing();
        await clientMesh.WaitReadyAsync(TimeSpan.FromSeconds(10));
        await using var ownerMesh = new LinkMesh(parties.Cluster, Endpoints.ModelOwner, TransportOptions.Default, NullLogger.Instance, ownerKey,
            linkId: clientMesh.LinkId);

        ownerMesh.StartDialing();

        var line = await parties.Logs[0].WaitForAsync("Refused a link", TimeSpan.FromSeconds(10));
        Assert.Contains("a link hello as model owner reuses the link id of a live client link", line);
        Assert.False(ownerMesh.Ready);
        Assert.True(clientMesh.Ready);
    }

    [Fact]
    public async Task A_party_certificate_may_not_open_sessions_or_shut_a_party_down()
    {
        await using var parties = await InProcessParties.StartAsync();
        using var partyKey = parties.Key(KeyFiles.PartyName(1));
        using var channel = PartyChannels.Create(parties.Cluster.Party(0), partyKey);
        var control = new Protos.PartyControl.PartyControlClient(channel);

        var open = await Assert.ThrowsAsync<RpcException>(async () =>
            await control.OpenSessionAsync(new Protos.OpenSessionRequest { SessionId = "s", Job = ExchangeCheckJob.JobName }));
        var shutdown = await Assert.ThrowsAsync<RpcException>(async () => await control.ShutdownAsync(new Protos.ShutdownRequest()));

        Assert.Equal(StatusCode.PermissionDenied, open.StatusCode);
        Assert.Equal("party 0: only the client or the model owner may open sessions", open.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, shutdown.StatusCode);
        await parties.Logs[0].WaitForAsync("from party 1: only the client or the model owner may shut a party down", TimeSpan.FromSeconds(5));
        Assert.True((await control.HealthAsync(new Protos.HealthRequest())).Ready);
    }

    [Fact]
    public async Task A_plaintext_cluster_file_needs_an_explicit_insecure_flag()
    {
        var plain = new ClusterConfig("plain", "3pc",
            [new PartyAddress(0, "127.0.0.1", 1), new PartyAddress(1, "127.0.0.1", 2), new PartyAddress(2, "127.0.0.1", 3)]).Validated();

        var refused = Assert.Throws<PlaintextClusterException>(() => new ClusterClient(plain));

        // The library names no flag; the command line adds it.
        Assert.Contains("allow plaintext h2c without authentication explicitly", refused.Message);
        Assert.DoesNotContain("--", refused.Message);
        Assert.EndsWith("(pass --insecure)", PrivateInference.Parties.Cli.CliErrors.WithFlags(refused));
        await using var allowed = new ClusterClient(plain, new ClusterClientOptions { AllowInsecure = true });
        Assert.Equal("http", plain.Party(0).Uri.Scheme);
    }

    [Fact]
    public async Task Keys_and_a_pinning_cluster_file_come_from_pi_keys_and_are_never_overwritten()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"pi-keys-test-{Guid.NewGuid():N}");
        try
        {
            var (exit, stdout, stderr) = await PiProcessRunner.RunAsync(TimeSpan.FromSeconds(30),
                "keys", "--parties", "3", "--out", directory, "--hosts", "10.0.0.1,10.0.0.2,party2.example", "--port", "7000");

            Assert.True(exit == 0, stderr);
            var cluster = ClusterConfig.Load(stdout.Trim());
            Assert.True(cluster.Secure);
            Assert.Equal(["10.0.0.1", "10.0.0.2", "party2.example"], cluster.Parties.Select(p => p.Host));
            Assert.Equal([7000, 7001, 7002], cluster.Parties.Select(p => p.Port));
            foreach (var name in new[] { "party0", "party1", "party2", "client", "owner" })
            {
                using var key = KeyFiles.Load(KeyFiles.KeyPath(directory, name));
                Assert.Equal(name, cluster.Holder(CertificateFingerprint.Of(key))?.Replace("party ", "party"));
                if (!OperatingSystem.IsWindows())
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(KeyFiles.KeyPath(directory, name)));
            }

            var again = await PiProcessRunner.RunAsync(TimeSpan.FromSeconds(30), "keys", "--out", directory);
            Assert.Equal(1, again.ExitCode);
            Assert.StartsWith("pi keys: ", again.StdErr);
            Assert.Single(again.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
