
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

    /// <summary>Protocol-level jobs: the mixed end-to-end check and `pi bench ops`.</summary>
    private static void RegisterProtocolJobs(PartyJobRegistry registry)
    {
        registry.Register(new MixedComputationJob());
        registry.Register(new OpsBenchJob());
    }

    /// <summary>Engine jobs: private generation and private perplexity.</summary>
    private static void RegisterEngineJobs(PartyJobRegistry registry)
    {
        registry.Register(new PrivateGenerateJob());
        registry.Register(new PrivatePerplexityJob());
        registry.Register(new PrivateBenchJob());
        registry.Register(new ShareWeightsJob());
    }
}
