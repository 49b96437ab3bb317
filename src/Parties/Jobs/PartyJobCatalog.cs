namespace PrivateInference.Parties.Jobs;

/// <summary>
/// The jobs every `pi party` process offers. Party processes are started as plain executables, so a job is
/// available to clients exactly when it is registered here.
/// </summary>
public static class PartyJobCatalog
{
    public static PartyJobRegistry CreateDefault()
    {
        var registry = new PartyJobRegistry();
        RegisterTransportJobs(registry);
        RegisterProtocolJobs(registry);
        RegisterEngineJobs(registry);
        return registry;
    }

    private static void RegisterTransportJobs(PartyJobRegistry registry) =>
        registry.Register(new ExchangeCheckJob());

    /// <summary>
    /// Protocol-level jobs go here once src/Protocols offers its scheme API: the mixed MPC computation of
    /// issue 3's acceptance item 3 (run over gRPC and compared with the in-process run) and the `pi bench ops`
    /// per-op benchmark. Each is an <see cref="IPartyJob"/> that builds the scheme's channel on
    /// <see cref="PartyJobContext.Transport"/>.
    /// </summary>
    private static void RegisterProtocolJobs(PartyJobRegistry registry)
    {
        _ = registry;
    }

    /// <summary>Engine jobs: private generation and private perplexity.</summary>
    private static void RegisterEngineJobs(PartyJobRegistry registry)
    {
        registry.Register(new PrivateGenerateJob());
        registry.Register(new PrivatePerplexityJob());
        registry.Register(new PrivateBenchJob());
    }
}
