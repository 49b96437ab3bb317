using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Tests.Security;


namespace PrivateInference.Parties.Tests.Storage;

/// <summary>The owner shares the weights once; the parties keep them at rest and serve later sessions, also after a restart.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class StoredWeightsTests
{
    private static JobArguments ShareArguments(string scheme)
    {
        var generate = Stories.GenerateArguments(scheme, 1, 1);
        return new JobArguments(generate.Values.Where(a => a.Key is not ("prompt_length" or "max_tokens")).ToDictionary(), generate.Model);
    }

    private static JobArguments StoredGenerateArguments(string scheme, int promptLength, int maxTokens)
    {
        var arguments = Stories.GenerateArguments(scheme, promptLength, maxTokens);
        arguments[PrivateJobArguments.WeightsArgument] = PrivateJobArguments.StoredWeights;
        return arguments;
    }

    private static async Task ShareOnceAsync(InProcessParties parties, string scheme)
    {
        await using var owner = parties.CreateClient();
        (await owner.RunJobAsync(ShareWeightsJob.JobName, ShareArguments(scheme), ownerPart: ShareWeightsJob.ForOwner(Stories.Folded)))
            .EnsureSuccess();
    }

    [Theory]
    [InlineData("3pc")]
    [InlineData("2pc")]
    public async Task Shares_stored_once_serve_a_client_without_weights_and_again_after_the_parties_restart(string scheme)
    {
        await using var parties = await InProcessParties.StartAsync(scheme, withStores: true);
        await ShareOnceAsync(parties, scheme);
        var prompt = Stories.Prompt("Once upon a time");
        var expected = Stories.PlainTokens(prompt, 6);

        await using (var client = parties.CreateClient())
        {
            var health = await client.HealthAsync();
            Assert.All(health, h => Assert.Equal($"{Stories.ModelHash} {scheme} frac_bits=16", Assert.Single(h.Models)));
            var (clientPart, _) = Stories.Parts(prompt);
            // No owner part: the client holds the prompt only, the parties their stored shares.
            (await client.RunJobAsync(PrivateGenerateJob.JobName, StoredGenerateArguments(scheme, prompt.Count, 6), clientPart)).EnsureSuccess();
            Assert.Equal(expected, clientPart.Result!.Tokens);
        }
        foreach (var id in new[] { 0, 1, 2 })
        {
            var file = Assert.Single(Directory.GetFiles(parties.StoreOf(id), "*.pishares"));
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        await parties.RestartAsync();

        await using (var client = parties.CreateClient())
        {
            var (clientPart, _) = Stories.Parts(prompt);
            (await client.RunJobAsync(PrivateGenerateJob.JobName, StoredGenerateArguments(scheme, prompt.Count, 6), clientPart)).EnsureSuccess();
            Assert.Equal(expected, clientPart.Result!.Tokens);
        }
    }

    [Fact]
    public async Task A_client_whose_model_hash_differs_from_the_stored_shares_is_refused_before_any_share_moves()
    {
        await using var parties = await InProcessParties.StartAsync(withStores: true);
        await ShareOnceAsync(parties, "3pc");
        var prompt = Stories.Prompt("Once");
        var arguments = StoredGenerateArguments("3pc", prompt.Count, 2);
        // Another model's description: a different shape, so a different hash.
        var other = SyntheticModels.Preset("stories260K", 2);
        var described = PrivateJobArguments.For(other, NonlinearDomains.Widest, Protocols.SchemeKind.ThreePc, 16);
        foreach (var (k, v) in described.Values)
            arguments[k] = v;
        arguments.Model = described.Model;
        var (clientPart, _) = Stories.Parts(prompt);
        await using var client = parties.CreateClient();

        var failure = await Assert.ThrowsAsync<JobFailedException>(() => client.RunJobAsync(PrivateGenerateJob.JobName, arguments, clientPart));

        Assert.Contains($"this party holds no weight shares of model {PrivateJobArguments.ModelHash(other, NonlinearDomains.Widest)}", failure.Message);
        Assert.Null(clientPart.Result);
        Assert.All(await client.HealthAsync(), h =>
        {
            Assert.Equal(0, h.OpenSessions);
            Assert.Equal(0, h.RejectedFrames);
        });
    }

    [Fact]
    public async Task A_corrupted_share_file_is_refused_with_one_clear_line_before_the_session_opens()
    {
        await using var parties = await InProcessParties.StartAsync(withStores: true);
        await ShareOnceAsync(parties, "3pc");
        var file = Directory.GetFiles(parties.StoreOf(1), "*.pishares").Single();
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(file, bytes);
        var prompt = Stories.Prompt("Once");
        var (clientPart, _) = Stories.Parts(prompt);
        await using var client = parties.CreateClient();

        var failure = await Assert.ThrowsAsync<JobFailedException>(() =>
            client.RunJobAsync(PrivateGenerateJob.JobName, StoredGenerateArguments("3pc", prompt.Count, 2), clientPart));

        Assert.Contains($"party 1: share file '{file}' is corrupted: its checksum does not match its contents", failure.Message);
        Assert.DoesNotContain("\n", failure.Message);
        Assert.Null(clientPart.Result);
    }
}
