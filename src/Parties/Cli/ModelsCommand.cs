using System.CommandLine;
using Grpc.Core;
using PrivateInference.Engine;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Cli;

/// <summary>`pi models --cluster C`: which models each party holds weight shares of (from its health reply).</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var cluster = new Option<string>("--cluster") { Description = "cluster file of the running parties", Required = true };
        var insecure = new Option<bool>("--insecure") { Description = "accept a cluster file without certificates (plaintext h2c)" };
        var command = new Command("models", "List the models whose weight shares every party keeps at rest");
        command.Options.Add(cluster);
        command.Options.Add(insecure);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            ClusterConfig config;
            try { config = ClusterConfig.Load(parse.GetValue(cluster)!); }
            catch (ClusterConfigException e) { throw new InputException(e.Message, e); }
            ClusterClient client;
            try { client = new ClusterClient(config, new ClusterClientOptions { AllowInsecure = parse.GetValue(insecure) }); }
            catch (ClusterConfigException e) { throw new InputException(e.Message, e); }
            await using (client)
            {
                IReadOnlyList<Protos.HealthReply> health;
                try { health = await client.HealthAsync(cancel); }
                catch (RpcException e) { throw new InputException($"a party did not answer: {e.Status.StatusCode}: {e.Status.Detail}"); }
                foreach (var reply in health.OrderBy(h => h.PartyId))
                {
                    if (reply.Models.Count == 0)
                        Console.WriteLine($"party {reply.PartyId}: none");
                    foreach (var model in reply.Models)
                        Console.WriteLine($"party {reply.PartyId}: {model}");
                }
            }
            return 0;
        }));
        return command;
    }
}
