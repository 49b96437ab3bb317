using PrivateInference.Parties.Private;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Tests.Private;

public sealed class PrivateRunReportTests
{
    private static PrivateRunSettingsCli Settings(string transport, bool insecure) =>
        new(SchemeKind.ThreePc, transport, null, NetworkProfile.None, 16) { Insecure = insecure };

    [Fact]
    public void A_run_over_party_processes_reports_mutual_tls_by_default()
    {
        Assert.Equal("mutual TLS with pinned certificates", PrivateRunReport.Links(Settings("grpc", insecure: false)));
    }

    [Fact]
    public void A_run_under_insecure_says_so()
    {
        Assert.Equal("INSECURE plaintext h2c (--insecure)", PrivateRunReport.Links(Settings("grpc", insecure: true)));
    }

    [Fact]
    public void An_in_process_run_has_no_network_links()
    {
        Assert.Equal("in-process", PrivateRunReport.Links(Settings("inproc", insecure: false)));
    }
}
