using PrivateInference.Engine;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Private;

/// <summary>How a private run is carried out: scheme, transport, an existing cluster or local parties, network.</summary>
public sealed record PrivateRunSettingsCli(SchemeKind Scheme, string Transport, string? ClusterFile, NetworkProfile Network, int FracBits)
{
    public string SchemeName => Scheme == SchemeKind.ThreePc ? "3pc" : "2pc";
    public int Parties => Scheme == SchemeKind.ThreePc ? 3 : 2;
}

/// <summary>Runs private generation with every participant where the settings say: threads of this process, or
/// party processes (this process then plays the client and the model owner).</summary>
public static class PrivateRunner
{
    public static Task<PrivateRunResult[]> GenerateAsync(PrivateRunSettingsCli settings, LlamaWeights weights, ClientInputs client, int maxTokens,
        CancellationToken cancellation)
    {
        var options = new MpcOptions { FracBits = settings.FracBits };
        if (settings.Transport == "inproc")
            return Task.Run(() => InProcessPrivateRun.Generate(settings.Scheme, weights, client, maxTokens, options, settings.Network), cancellation);
        throw new InputException("--transport grpc is not wired to the private engine yet; use --transport inproc");
    }

    public static Engine.Evaluation.PerplexityResult Perplexity(PrivateRunSettingsCli settings, LlamaWeights weights,
        IReadOnlyList<IReadOnlyList<int>> chunks, Action<int, Engine.Evaluation.PerplexityResult>? progress)
    {
        var options = new MpcOptions { FracBits = settings.FracBits };
        if (settings.Transport == "inproc")
            return InProcessPrivateRun.Perplexity(settings.Scheme, weights, chunks, options, settings.Network, progress);
        throw new InputException("--transport grpc is not wired to the private engine yet; use --transport inproc");
    }
}
