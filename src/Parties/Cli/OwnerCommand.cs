using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PrivateInference.Engine.Private;
using PrivateInference.Engine;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi owner share`: the model owner secret-shares the folded weights to a running cluster once and exits; the parties
/// keep the shares at rest (`pi party --store`). Reports the cost of sharing once, and writes the public description a
/// client runs with instead of the checkpoint.
/// </summary>
public static class OwnerCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var cluster = new Option<string>("--cluster") { Description = "cluster file of the running parties", Required = true };
        var fracBits = new Option<int>("--frac-bits") { Description = "fixed-point fractional bits of the shares", DefaultValueFactory = _ => 16 };
        var description = new Option<string?>("--description")
        {
            Description = "where to write the public model description for clients (default: <model>.model.json beside the cluster file)",
        };
        var insecure = new Option<bool>("--insecure") { Description = "accept a cluster file without certificates (plaintext h2c)" };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds to wait for a silent party before failing",
            DefaultValueFactory = _ => TransportOptions.Default.ReceiveTimeout.TotalSeconds,
        };
        var share = new Command("share", "Share a model's folded weights to the parties of a cluster once; they store the shares");
        model.AddTo(share);
        foreach (var o in new Option[] { cluster, fracBits, description, insecure, timeout }) share.Options.Add(o);
        share.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            int bits = parse.GetValue(fracBits);
            if (bits is < 8 or > 24) throw new InputException($"--frac-bits must lie in 8..24, got {bits}");
            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0)) throw new InputException($"--timeout must be > 0 seconds, not {seconds}");
            ClusterConfig config;
            try { config = ClusterConfig.Load(parse.GetValue(cluster)!); }
            catch (ClusterConfigException e) { throw new InputException(e.Message, e); }
            var loaded = model.Load(parse);
            var folded = FoldedWeights.Fold(loaded.Weights);
            var scheme = config.Scheme == "2pc" ? Protocols.SchemeKind.TwoPcDealer : Protocols.SchemeKind.ThreePc;
            var arguments = PrivateJobArguments.For(folded, scheme, bits);
            ClusterClient client;
            try
            {
                client = new ClusterClient(config, new ClusterClientOptions
                {
                    OwnerOnly = true, AllowInsecure = parse.GetValue(insecure),
                    Transport = TransportOptions.Default with { ReceiveTimeout = TimeSpan.FromSeconds(seconds) },
                });
            }
            catch (ClusterConfigException e) { throw new InputException(e.Message, e); }
            await using (client)
            {
                try { await client.WaitUntilReadyAsync(TimeSpan.FromSeconds(30), cancel); }
                catch (TimeoutException e) { throw new InputException(e.Message); }
                var clock = Stopwatch.StartNew();
                JobOutcome outcome;
                try
                {
                    outcome = (await client.RunJobAsync(ShareWeightsJob.JobName, arguments, ownerPart: ShareWeightsJob.ForOwner(folded),
                        cancellation: cancel)).EnsureSuccess();
                }
                catch (JobFailedException e) { throw new InputException($"sharing the weights failed: {e.Message}"); }
                var wall = clock.Elapsed.TotalMilliseconds;
                var owner = PrivateRunStatsRecords.FromRecord(outcome.ModelOwner!.PrivateRun?.Total);
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"pi owner: shared {Path.GetFileNameWithoutExtension(loaded.ModelPath)} (model hash {arguments[SessionTerms.ModelHashArgument]}, " +
                    $"{config.Scheme}, {bits} fractional bits) in {wall:0} ms; the owner sent {owner.BytesSent / 1e6:0.###} MB"));
                foreach (var party in outcome.Parties.OrderBy(p => p.PartyId))
                {
                    var stats = PrivateRunStatsRecords.FromRecord(party.PrivateRun?.Total);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"pi owner: party {party.PartyId} received {stats.BytesReceived / 1e6:0.###} MB, sent {stats.BytesSent / 1e6:0.###} MB, stored its shares after {double.Parse(party.Values["stored_ms"], CultureInfo.InvariantCulture):0} ms"));
                }
            }
            var descriptionPath = parse.GetValue(description)
                ?? Path.Combine(config.Directory!, Path.GetFileNameWithoutExtension(loaded.ModelPath) + ".model.json");
            var tokenizerPath = new Engine.Models.ModelLocator(parse.GetValue(model.ModelsDir))
                .ResolveTokenizer(parse.GetValue(model.Tokenizer), loaded.ModelPath, loaded.Weights.Config.VocabSize);
            ModelDescription.Write(descriptionPath, loaded.Weights.Config, folded.Domains, tokenizerPath);
            Console.WriteLine(descriptionPath);
            return 0;
        }));
        var owner = new Command("owner", "The model owner's commands.");
        owner.Subcommands.Add(share);
        return owner;
    }
}
