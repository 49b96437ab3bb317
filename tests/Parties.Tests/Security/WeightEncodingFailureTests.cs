using PrivateInference.Engine.Private;
using PrivateInference.Parties.Jobs;


namespace PrivateInference.Parties.Tests.Security;

/// <summary>A weight the fixed point cannot hold fails the run at the owner with a message that carries no weight value.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class WeightEncodingFailureTests
{
    [Theory]
    [InlineData(float.NaN, "is NaN or infinite")]
    [InlineData(3.25e14f, "has a magnitude of at least 2^47")]
    public async Task An_owner_with_an_unencodable_weight_fails_naming_the_tensor_and_reason_but_not_the_value(float bad, string reason)
    {
        var folded = Stories.Folded;
        var wo = (float[][])folded.Wo.Clone();
        wo[1] = (float[])wo[1].Clone();
        wo[1][17] = bad;
        var broken = new FoldedWeights
        {
            Config = folded.Config, Embedding = folded.Embedding, Wqkv = folded.Wqkv, Wo = wo, W13 = folded.W13, W2 = folded.W2,
            Classifier = folded.Classifier,
        };
        var prompt = Stories.Prompt("Once");
        var (clientPart, _) = Stories.Parts(prompt);
        await using var parties = await InProcessParties.StartAsync();
        await using var client = parties.CreateClient();

        var outcome = await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, 2),
            clientPart, PrivateGenerateJob.ForOwner(broken));

        Assert.False(outcome.Ok);
        Assert.Contains($"weight tensor wo[1] cannot be secret-shared: an entry {reason}", outcome.ModelOwner!.Error);
        var messages = outcome.Parties.Select(p => p.Error).Append(outcome.ModelOwner.Error).Append(outcome.Client!.Error)
            .Concat(parties.Logs.Values.SelectMany(l => l.Lines)).ToArray();
        Assert.All(outcome.Parties, p => Assert.Contains("weight tensor wo[1] cannot be secret-shared", p.Error));
        // Neither the value (in any of its printed forms) nor its position reaches a party or the client.
        Assert.All(messages, m => Assert.DoesNotContain("3.25", m ?? ""));
        Assert.All(messages, m => Assert.DoesNotContain("325000", m ?? ""));
        Assert.All(messages, m => Assert.DoesNotContain("entry 17", m ?? ""));
    }
}
