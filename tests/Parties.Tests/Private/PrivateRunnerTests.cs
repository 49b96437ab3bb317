using System.Collections.Concurrent;
using PrivateInference.Engine.Generation;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Plain;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Parties.Launch;
using PrivateInference.Parties.Private;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Tests.Private;

/// <summary>Private generation end to end: real `pi party` processes on loopback, this process as client and owner.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class PrivateRunnerTests
{
    private const string Prompt = "Once upon a time";

    [Theory]
    [InlineData("3pc")]
    [InlineData("2pc")]
    public async Task PartyProcessesGenerateThePlaintextTokensAndNeverLogTheText(string scheme)
    {
        var locator = new ModelLocator();
        var modelPath = locator.ResolveModel("stories260K");
        var weights = Llama2cCheckpoint.Load(modelPath);
        var tokenizer = Llama2cTokenizer.Load(locator.ResolveTokenizer(null, modelPath, weights.Config.VocabSize));
        var prompt = tokenizer.Encode(Prompt);
        var expected = new TextGenerator(new PlainTransformer(weights), new Sampler(0, 0.9f, 1)).Generate(prompt, 10).ToList();

        var logs = new ConcurrentQueue<string>();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions
        {
            Scheme = scheme, Verbose = true, OnOutput = (_, line) => logs.Enqueue(line),
        });
        var settings = new PrivateRunSettingsCli(scheme == "3pc" ? SchemeKind.ThreePc : SchemeKind.TwoPcDealer, "grpc", cluster.ClusterFile, NetworkProfile.None, 16);
        await using var runner = await PrivateRunner.StartAsync(settings, CancellationToken.None);
        var results = await runner.GenerateAsync(weights, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 10, CancellationToken.None);

        var client = results.Single(r => r.PartyId == PartyIds.Client);
        Assert.Equal(expected, client.Tokens);
        Assert.All(PartyIds.ComputeParties, p => Assert.True(results.Single(r => r.PartyId == p).Total.BytesSent > 0));

        // The parties did log (sessions, sizes), but never the prompt, the generated words or the token ids.
        Assert.NotEmpty(logs);
        var text = tokenizer.Decode([.. prompt, .. expected]);
        // Any three consecutive words of the text (single words like "time" are ordinary log vocabulary).
        var all = text.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var words = Enumerable.Range(0, all.Length - 2).Select(i => string.Join(' ', all[i..(i + 3)])).Distinct().ToList();
        var idLists = new[] { string.Join(",", expected), string.Join(" ", expected), string.Join(", ", prompt) };
        foreach (var line in logs)
        {
            Assert.DoesNotContain(Prompt, line);
            foreach (var w in words) Assert.DoesNotContain(w, line, StringComparison.OrdinalIgnoreCase);
            foreach (var ids in idLists) Assert.DoesNotContain(ids, line);
        }
    }
}
