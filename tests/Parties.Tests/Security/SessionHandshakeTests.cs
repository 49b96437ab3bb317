using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Jobs;


namespace PrivateInference.Parties.Tests.Security;

/// <summary>Parties pinned to stories260K, 16 fractional bits and the full cache, shared by the handshake tests.</summary>
public sealed class PinnedTermsParties : IAsyncLifetime
{
    internal InProcessParties Parties { get; private set; } = null!;

    public async Task InitializeAsync() => Parties = await InProcessParties.StartAsync(
        expected: new SessionTerms(Stories.ModelHash, 16, SessionTerms.FullCache));

    public async Task DisposeAsync() => await Parties.DisposeAsync();
}

/// <summary>Client and parties agree on model, scheme, fixed point and cache policy before any share moves.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class SessionHandshakeTests(PinnedTermsParties fixture) : IClassFixture<PinnedTermsParties>
{
    [Theory]
    [InlineData(SessionTerms.ModelHashArgument, "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData(SessionTerms.FracBitsArgument, "12")]
    [InlineData(SessionTerms.CachePolicyArgument, "evict-oldest")]
    [InlineData(SessionTerms.SchemeArgument, "2pc")]
    public async Task A_mismatch_aborts_the_session_before_any_share_is_sent_naming_the_field(string field, string proposed)
    {
        var prompt = Stories.Prompt("Once");
        var arguments = Stories.GenerateArguments("3pc", prompt.Count, 2);
        arguments[field] = proposed;
        var (clientPart, ownerPart) = Stories.Parts(prompt);
        await using var client = fixture.Parties.CreateClient();

        var failure = await Assert.ThrowsAsync<JobFailedException>(() =>
            client.RunJobAsync(PrivateGenerateJob.JobName, arguments, clientPart, ownerPart));

        Assert.Contains($"session terms disagree on {field}: the client proposes {proposed}", failure.Message);
        // Neither the client nor the owner part ran, so nothing was shared; the parties that had opened the
        // session closed it again and no frame ever reached one.
        Assert.Null(clientPart.Result);
        Assert.Null(ownerPart.Result);
        Assert.All(await client.HealthAsync(), h =>
        {
            Assert.Equal(0, h.OpenSessions);
            Assert.Equal(0, h.RejectedFrames);
        });
    }

    [Fact]
    public async Task The_model_owner_refuses_to_share_weights_of_another_model_than_the_session_names()
    {
        var prompt = Stories.Prompt("Once");
        var (clientPart, _) = Stories.Parts(prompt);
        var otherModel = FoldedWeights.Fold(SyntheticModels.Create(SyntheticModels.Preset("stories260K", 2), 7));
        await using var client = fixture.Parties.CreateClient();

        var outcome = await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, 2),
            clientPart, PrivateGenerateJob.ForOwner(otherModel));

        Assert.False(outcome.Ok);
        Assert.Contains("session terms disagree on model_hash", outcome.ModelOwner!.Error);
        Assert.Contains("the model owner holds", outcome.ModelOwner.Error);
        Assert.All(outcome.Parties, p => Assert.False(p.Ok));
    }

    /// <summary>Domains narrower than the weights allow would let scores leave the comparisons' range: the owner, who
    /// derives them from its weights, refuses the session before sharing (the domains are part of the model hash).</summary>
    [Fact]
    public async Task The_model_owner_refuses_a_session_whose_domains_are_narrower_than_its_weights_allow()
    {
        await using var parties = await InProcessParties.StartAsync();
        var prompt = Stories.Prompt("Once");
        var (clientPart, ownerPart) = Stories.Parts(prompt);
        var arguments = PrivateJobArguments.For(Stories.Weights.Config, new NonlinearDomains(6, 6), Protocols.SchemeKind.ThreePc, 16);
        arguments["prompt_length"] = prompt.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        arguments["max_tokens"] = "2";
        await using var client = parties.CreateClient();

        var outcome = await client.RunJobAsync(PrivateGenerateJob.JobName, arguments, clientPart, ownerPart);

        Assert.False(outcome.Ok);
        Assert.Contains("session terms disagree on model_hash", outcome.ModelOwner!.Error);
        Assert.Null(clientPart.Result);
    }

    [Fact]
    public async Task Agreeing_terms_open_the_session_and_the_run_matches_the_plaintext_tokens()
    {
        var prompt = Stories.Prompt("Once upon");
        var (clientPart, ownerPart) = Stories.Parts(prompt);
        await using var client = fixture.Parties.CreateClient();

        (await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, 3), clientPart, ownerPart))
            .EnsureSuccess();

        Assert.Equal(Stories.PlainTokens(prompt, 3), clientPart.Result!.Tokens);
    }
}
