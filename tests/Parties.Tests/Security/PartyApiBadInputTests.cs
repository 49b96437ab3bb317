using Grpc.Core;
using Grpc.Net.Client;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Tests.Security;

/// <summary>In-process TLS parties with no pinned terms, shared by the bad-input tests.</summary>
public sealed class OpenTermsParties : IAsyncLifetime
{
    internal InProcessParties Parties { get; private set; } = null!;

    public async Task InitializeAsync() => Parties = await InProcessParties.StartAsync();

    public async Task DisposeAsync() => await Parties.DisposeAsync();
}

/// <summary>Bad requests on the party API get a status and a message; the party stays up and serves correct sessions.</summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class PartyApiBadInputTests(OpenTermsParties fixture) : IClassFixture<OpenTermsParties>
{
    private static OpenSessionRequest Open(Action<JobArguments> tweak, string job = PrivateGenerateJob.JobName, string? session = null)
    {
        var request = new OpenSessionRequest { SessionId = session ?? $"bad-{Guid.NewGuid():N}", Job = job };
        var arguments = Stories.GenerateArguments("3pc", 4, 4);
        tweak(arguments);
        foreach (var (name, value) in arguments.Values)
            request.Arguments[name] = value;
        request.Model = arguments.Model;
        // Links that are not connected: a request that passes validation still cannot open a session here.
        request.EndpointLinks[Endpoints.Client] = "no-such-link";
        request.EndpointLinks[Endpoints.ModelOwner] = "no-such-link-either";
        return request;
    }

    public static TheoryData<string, StatusCode, string> BadOpenRequests => new()
    {
        { "empty session id", StatusCode.InvalidArgument, "a session id must be 1..200 printable characters" },
        { "unknown job", StatusCode.NotFound, "unknown job 'no-such-job'" },
        { "dims that do not validate", StatusCode.InvalidArgument, "dim 60 is not a multiple of n_heads 8" },
        { "no model shape", StatusCode.InvalidArgument, "the session names no model shape" },
        { "a zero hidden width", StatusCode.InvalidArgument, "model shape field 'hidden' must be an integer in 1..65536, not 0" },
        { "an absurd vocabulary", StatusCode.InvalidArgument, "model shape field 'vocab' must be an integer in 1..262144" },
        { "a prompt longer than the context", StatusCode.InvalidArgument, "job argument 'prompt_length' must be an integer in 1..512" },
        { "prompt and new tokens beyond the context", StatusCode.InvalidArgument, "exceeds the context of 512" },
        { "a malformed model hash", StatusCode.InvalidArgument, "'model_hash' must be 64 hex digits" },
        { "no model owner", StatusCode.InvalidArgument, "this session needs the model owner" },
        { "a party named as an external endpoint", StatusCode.InvalidArgument, "endpoint links may only name the client" },
        { "links that are not connected", StatusCode.FailedPrecondition, "is not connected" },
    };

    private static OpenSessionRequest Case(string name) => name switch
    {
        "empty session id" => Open(_ => { }, session: ""),
        "unknown job" => Open(_ => { }, job: "no-such-job"),
        "dims that do not validate" => Open(a => a.Model!.Dim = 60),
        "no model shape" => Open(a => a.Model = null),
        "a zero hidden width" => Open(a => a.Model!.Hidden = 0),
        "an absurd vocabulary" => Open(a => a.Model!.Vocab = 2000000000),
        "a prompt longer than the context" => Open(a => a["prompt_length"] = "513"),
        "prompt and new tokens beyond the context" => Open(a => a["max_tokens"] = "510"),
        "a malformed model hash" => Open(a => a[SessionTerms.ModelHashArgument] = "abc"),
        "no model owner" => Without(Open(_ => { }), Endpoints.ModelOwner),
        "a party named as an external endpoint" => With(Open(_ => { }), 1, "x"),
        "links that are not connected" => Open(_ => { }),
        _ => throw new ArgumentException(name),
    };

    private static OpenSessionRequest Without(OpenSessionRequest request, int endpoint)
    {
        request.EndpointLinks.Remove(endpoint);
        return request;
    }

    private static OpenSessionRequest With(OpenSessionRequest request, int endpoint, string link)
    {
        request.EndpointLinks[endpoint] = link;
        return request;
    }

    [Theory]
    [MemberData(nameof(BadOpenRequests))]
    public async Task A_bad_open_request_is_refused_with_a_status_and_a_message(string name, StatusCode code, string message)
    {
        using var channel = Channel(0);
        var control = new PartyControl.PartyControlClient(channel);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await control.OpenSessionAsync(Case(name)));

        Assert.Equal(code, refused.StatusCode);
        Assert.Contains(message, refused.Status.Detail);
        Assert.StartsWith("party 0: ", refused.Status.Detail);
        Assert.Equal(0, (await control.HealthAsync(new HealthRequest())).OpenSessions);
    }

    [Fact]
    public async Task Running_an_unknown_session_is_not_found()
    {
        using var channel = Channel(1);
        var control = new PartyControl.PartyControlClient(channel);

        var refused = await Assert.ThrowsAsync<RpcException>(async () => await control.RunSessionAsync(new RunSessionRequest { SessionId = "never-opened" }));

        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
        Assert.Contains("session 'never-opened' was not opened here", refused.Status.Detail);
    }

    [Fact]
    public async Task An_oversized_message_is_refused_as_resource_exhausted()
    {
        using var channel = Channel(2);
        var control = new PartyControl.PartyControlClient(channel);

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await control.OpenSessionAsync(Open(a => a["padding"] = new string('x', TransportOptions.MaxMessageBytes + 1))));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
    }

    [Fact]
    public async Task After_bad_requests_and_a_token_outside_the_vocabulary_the_parties_serve_a_correct_session()
    {
        using (var channel = Channel(0))
        {
            var control = new PartyControl.PartyControlClient(channel);
            foreach (var (name, _, _) in BadOpenRequests.Select(row => ((string)row[0], row[1], row[2])))
                await Assert.ThrowsAsync<RpcException>(async () => await control.OpenSessionAsync(Case(name)));
        }
        await using var client = fixture.Parties.CreateClient();
        var vocabulary = Stories.Weights.Config.VocabSize;
        var badPrompt = new[] { 1, vocabulary };
        var badClient = PrivateGenerateJob.ForClient(new ClientInputs(badPrompt, new Sampler(0, 0.9f, 1)));

        var refused = await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", badPrompt.Length, 2),
            badClient, PrivateGenerateJob.ForOwner(Stories.Folded));

        // The client checks its own secret tokens before sharing (parties only ever see shares of them).
        Assert.False(refused.Ok);
        Assert.Contains($"token id {vocabulary} is outside the vocabulary (0..{vocabulary - 1})", refused.Client!.Error);
        Assert.Null(badClient.Result);

        var prompt = Stories.Prompt("Once upon a time");
        var (clientPart, ownerPart) = Stories.Parts(prompt);
        (await client.RunJobAsync(PrivateGenerateJob.JobName, Stories.GenerateArguments("3pc", prompt.Count, 3), clientPart, ownerPart))
            .EnsureSuccess();
        Assert.Equal(Stories.PlainTokens(prompt, 3), clientPart.Result!.Tokens);
        Assert.All(await client.HealthAsync(), h => Assert.Equal(0, h.OpenSessions));
    }

    private GrpcChannel Channel(int party) =>
        PartyChannels.Create(fixture.Parties.Cluster.Party(party), fixture.Parties.Key(KeyFiles.Client));
}
