using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;


namespace PrivateInference.Parties.Tests.Security;

/// <summary>Several private sessions share one set of party processes and their links, each correct and isolated.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class ConcurrentSessionsTests
{
    private const int Tokens = 8;
    private static readonly string[] Prompts = ["Once upon a time", "The cat", "Lily went to", "One day, a little"];

    [Fact]
    public async Task Four_concurrent_private_generations_produce_the_same_tokens_as_four_sequential_ones()
    {
        await using var cluster = await LocalCluster.StartAsync();
        await using var client = cluster.CreateClient();
        var prompts = Prompts.Select(Stories.Prompt).ToArray();

        async Task<List<int>> Generate(IReadOnlyList<int> prompt)
        {
            var (clientPart, ownerPart) = Stories.Parts(prompt);
            (await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, Tokens), clientPart, ownerPart))
                .EnsureSuccess();
            return clientPart.Result!.Tokens;
        }

        var sequential = new List<List<int>>();
        foreach (var prompt in prompts)
            sequential.Add(await Generate(prompt));
        var concurrent = await Task.WhenAll(prompts.Select(p => Task.Run(() => Generate(p)))).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Equal(sequential, concurrent);
        Assert.Equal(prompts.Select(p => Stories.PlainTokens(p, Tokens)), sequential);
        // Different prompts give different continuations, so a session that read another's shares would show.
        Assert.Equal(Prompts.Length, sequential.Select(t => string.Join(",", t)).Distinct().Count());
        Assert.All(await client.HealthAsync(), h => Assert.Equal(0, h.OpenSessions));
    }
}
