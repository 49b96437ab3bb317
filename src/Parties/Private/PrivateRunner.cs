using PrivateInference.Engine;
using PrivateInference.Engine.Evaluation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Hosting;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Private;

/// <summary>How a private run is carried out: scheme, transport, an existing cluster or local parties, network.</summary>
public sealed record PrivateRunSettingsCli(SchemeKind Scheme, string Transport, string? ClusterFile, NetworkProfile Network, int FracBits)
{
    public string SchemeName => Scheme == SchemeKind.ThreePc ? "3pc" : "2pc";
    public int Parties => Scheme == SchemeKind.ThreePc ? 3 : 2;
}

/// <summary>
/// Runs a private job with every participant where the settings say: threads of this process, or party processes
/// (local ones started for the run, or a running cluster), this process then playing the client and the model owner.
/// </summary>
public static class PrivateRunner
{
    public static async Task<PrivateRunResult[]> GenerateAsync(PrivateRunSettingsCli settings, LlamaWeights weights, ClientInputs client, int maxTokens,
        CancellationToken cancellation)
    {
        var options = new MpcOptions { FracBits = settings.FracBits };
        if (settings.Transport == "inproc")
            return await Task.Run(() => InProcessPrivateRun.Generate(settings.Scheme, weights, client, maxTokens, options, settings.Network), cancellation);

        var args = PrivateJobArguments.For(weights.Config, settings.Scheme, settings.FracBits);
        args["prompt_length"] = client.Prompt.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        args["max_tokens"] = maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clientPart = PrivateGenerateJob.ForClient(client);
        var ownerPart = PrivateGenerateJob.ForOwner(FoldedWeights.Fold(weights));
        var outcome = await RunOnClusterAsync(settings, PrivateGenerateJob.JobName, args, clientPart, ownerPart, cancellation);
        var results = outcome.Parties.Select(p => PrivateGenerateJob.FromValues(p.PartyId, p.Values)).ToList();
        results.Add(clientPart.Result!);
        results.Add(ownerPart.Result!);
        return [.. results];
    }

    public static async Task<PerplexityResult> PerplexityAsync(PrivateRunSettingsCli settings, LlamaWeights weights,
        IReadOnlyList<IReadOnlyList<int>> chunks, Action<int, PerplexityResult>? progress, CancellationToken cancellation)
    {
        var options = new MpcOptions { FracBits = settings.FracBits };
        if (settings.Transport == "inproc")
            return await Task.Run(() => InProcessPrivateRun.Perplexity(settings.Scheme, weights, chunks, options, settings.Network, progress), cancellation);

        var args = PrivateJobArguments.For(weights.Config, settings.Scheme, settings.FracBits);
        args["chunk_lengths"] = PrivatePerplexityJob.ChunkLengths(chunks);
        var clientPart = PrivatePerplexityJob.ForClient(chunks, progress);
        var ownerPart = PrivatePerplexityJob.ForOwner(FoldedWeights.Fold(weights));
        await RunOnClusterAsync(settings, PrivatePerplexityJob.JobName, args, clientPart, ownerPart, cancellation);
        return clientPart.Result!;
    }

    private static async Task<JobOutcome> RunOnClusterAsync(PrivateRunSettingsCli settings, string job, Dictionary<string, string> args,
        IPartyJob clientPart, IPartyJob ownerPart, CancellationToken cancellation)
    {
        LocalCluster? local = null;
        try
        {
            ClusterConfig cluster;
            if (settings.ClusterFile is { } file)
            {
                try { cluster = ClusterConfig.Load(file); }
                catch (ClusterConfigException e) { throw new InputException(e.Message); }
            }
            else
            {
                Console.Error.WriteLine($"pi: starting {settings.SchemeName} parties on loopback...");
                try
                {
                    local = await LocalCluster.StartAsync(new LocalClusterOptions { Scheme = settings.SchemeName, Network = settings.Network }, cancellation);
                }
                catch (LocalClusterException e) { throw new InputException($"could not start the local parties: {e.Message}"); }
                cluster = local.Cluster;
            }
            await using var client = new ClusterClient(cluster, new ClusterClientOptions { Network = settings.Network });
            try
            {
                await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), cancellation);
                var outcome = await client.RunJobAsync(job, args,
                    new Dictionary<int, IPartyJob> { [PartyIds.Client] = clientPart, [PartyIds.ModelOwner] = ownerPart }, cancellation);
                return outcome.EnsureSuccess();
            }
            catch (Exception e) when (e is JobFailedException or TimeoutException)
            {
                throw new InputException($"the private run failed: {e.Message}");
            }
        }
        finally
        {
            if (local is not null) await local.DisposeAsync();
        }
    }
}
