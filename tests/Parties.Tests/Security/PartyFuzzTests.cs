using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Tests.Security;

/// <summary>
/// A bounded, seeded fuzz of one party on loopback (over its real mutual-TLS listener, as an authenticated client):
/// thousands of random and mutated messages on the control API and the link API, and malformed gRPC framing.
/// Every call must end in an error status (or, for frames on an established link, be counted as rejected), the
/// party must never crash or hang, and a correct session must run afterwards.
/// </summary>
[Collection(PartyProcessesCollection.Name)]
public sealed class PartyFuzzTests(OpenTermsParties fixture) : IClassFixture<OpenTermsParties>
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> OpenSession = new(MethodType.Unary, "privateinference.parties.PartyControl", "OpenSession", Raw, Raw);
    private static readonly Method<byte[], byte[]> RunSession = new(MethodType.Unary, "privateinference.parties.PartyControl", "RunSession", Raw, Raw);
    private static readonly Method<byte[], byte[]> Link = new(MethodType.DuplexStreaming, "privateinference.parties.PartyLink", "Link", Raw, Raw);

    private readonly Random _random = new(20261128);

    [Fact]
    public async Task Thousands_of_random_and_mutated_messages_each_get_an_error_and_the_party_then_serves_a_correct_session()
    {
        var parties = fixture.Parties;
        using var channel = PartyChannels.Create(parties.Cluster.Party(0), parties.Key(KeyFiles.Client));
        var invoker = channel.CreateCallInvoker();
        var statuses = new Dictionary<StatusCode, int>();
        var validOpen = ValidLookingOpen().ToByteArray();

        await Fuzz().WaitAsync(TimeSpan.FromSeconds(90));

        async Task Fuzz()
        {
            for (var i = 0; i < 1000; i++)
                Count(await UnaryStatus(invoker, OpenSession, RandomBytes(_random.Next(0, 300))));
            for (var i = 0; i < 1500; i++)
                Count(await UnaryStatus(invoker, OpenSession, Mutate(validOpen)));
            for (var i = 0; i < 500; i++)
                Count(await UnaryStatus(invoker, RunSession, i % 2 == 0
                    ? RandomBytes(_random.Next(0, 100))
                    : new RunSessionRequest { SessionId = Convert.ToHexString(RandomBytes(8)) }.ToByteArray()));
            for (var i = 0; i < 300; i++)
                Count(await LinkStatus(invoker, i % 3 == 0 ? RandomBytes(_random.Next(0, 80)) : WrongHello(parties.Cluster.ClusterId).ToByteArray()));
        }

        // Every one of the 3300 calls above ended in an error status, none in OK.
        Assert.Equal(3300, statuses.Values.Sum());
        Assert.DoesNotContain(StatusCode.OK, statuses.Keys);

        // Frames on an established client link: each one is rejected (unknown session) and counted; the link stays up.
        var before = (await Health(channel)).RejectedFrames;
        const int frames = 1000;
        using (var link = invoker.AsyncDuplexStreamingCall(Link, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(60))))
        {
            await link.RequestStream.WriteAsync(new LinkMessage
            {
                Hello = new LinkHello { FromEndpoint = Endpoints.Client, ToEndpoint = 0, LinkId = "fuzz", ClusterId = parties.Cluster.ClusterId },
            }.ToByteArray());
            Assert.True(await link.ResponseStream.MoveNext());
            for (var i = 0; i < frames; i++)
                await link.RequestStream.WriteAsync(MutatedFrame().ToByteArray());
            await WaitUntil(async () => (await Health(channel)).RejectedFrames - before >= frames);
            Assert.Equal(frames, (await Health(channel)).RejectedFrames - before);
            // Finally bytes that are no LinkMessage at all: the link ends with an error status.
            await link.RequestStream.WriteAsync([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
            var broken = await Assert.ThrowsAsync<RpcException>(async () => await link.ResponseStream.MoveNext());
            Assert.NotEqual(StatusCode.OK, broken.StatusCode);
        }

        // Broken gRPC framing below the message layer (lengths that lie, compression flags that were never negotiated).
        using (var http = new HttpClient(Handler(parties)))
        {
            for (var i = 0; i < 200; i++)
                Assert.NotEqual("0", await RawGrpcStatus(http, parties.Cluster.Party(0).Uri, BrokenFraming()));
        }

        // The party is up, holds no session, and serves a correct one.
        await using var client = parties.CreateClient();
        Assert.All(await client.HealthAsync(), h => Assert.Equal(0, h.OpenSessions));
        var outcome = (await client.RunJobAsync(ExchangeCheckJob.JobName,
            new Dictionary<string, string> { ["bytes"] = "100000", ["ping-rounds"] = "3" }, new ExchangeCheckJob())).EnsureSuccess();
        Assert.Equal(4, outcome.All.Count());

        void Count(StatusCode code) => statuses[code] = statuses.GetValueOrDefault(code) + 1;
    }

    private static async Task<StatusCode> UnaryStatus(CallInvoker invoker, Method<byte[], byte[]> method, byte[] request)
    {
        try
        {
            await invoker.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), request);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            Assert.NotEqual(StatusCode.DeadlineExceeded, e.StatusCode);
            return e.StatusCode;
        }
    }

    private static async Task<StatusCode> LinkStatus(CallInvoker invoker, byte[] first)
    {
        using var call = invoker.AsyncDuplexStreamingCall(Link, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)));
        try
        {
            await call.RequestStream.WriteAsync(first);
            await call.RequestStream.CompleteAsync();
            while (await call.ResponseStream.MoveNext())
            {
            }
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            Assert.NotEqual(StatusCode.DeadlineExceeded, e.StatusCode);
            return e.StatusCode;
        }
    }

    private static OpenSessionRequest ValidLookingOpen()
    {
        var request = new OpenSessionRequest { SessionId = "fuzz-base", Job = PrivateGenerateJob.JobName };
        var arguments = Stories.GenerateArguments("3pc", 4, 4);
        foreach (var (name, value) in arguments.Values)
            request.Arguments[name] = value;
        request.Model = arguments.Model;
        request.EndpointLinks[Endpoints.Client] = "not-connected";
        request.EndpointLinks[Endpoints.ModelOwner] = "not-connected-either";
        return request;
    }

    /// <summary>A hello the party must refuse: some field always contradicts the cluster or the certificate.</summary>
    private LinkHello WrongHello(string clusterId)
    {
        var hello = new LinkHello
        {
            FromEndpoint = _random.Next(-3, 8),
            ToEndpoint = _random.Next(-3, 8),
            LinkId = _random.Next(4) == 0 ? "" : Convert.ToHexString(RandomBytes(4)),
            ClusterId = _random.Next(3) == 0 ? clusterId : Convert.ToHexString(RandomBytes(3)),
        };
        // The one acceptable combination for this client certificate; everything else is a wrong hello.
        if (hello.FromEndpoint == Endpoints.Client && hello.ToEndpoint == 0 && hello.LinkId.Length > 0 && hello.ClusterId == clusterId)
            hello.ToEndpoint = 1;
        return hello;
    }

    private LinkMessage MutatedFrame() => _random.Next(4) == 0
        ? new LinkMessage { Abort = new SessionAbort { SessionId = Convert.ToHexString(RandomBytes(6)), Reason = "fuzz" } }
        : new LinkMessage
        {
            Data = new DataFrame
            {
                SessionId = _random.Next(5) == 0 ? "" : Convert.ToHexString(RandomBytes(_random.Next(1, 12))),
                Sequence = (ulong)_random.NextInt64(),
                Payload = ByteString.CopyFrom(RandomBytes(_random.Next(0, 2000))),
            },
        };

    private byte[] Mutate(byte[] valid)
    {
        var bytes = valid.ToList();
        switch (_random.Next(4))
        {
            case 0:
                for (var k = _random.Next(1, 5); k > 0; k--)
                    bytes[_random.Next(bytes.Count)] ^= (byte)_random.Next(1, 256);
                break;
            case 1:
                var at = _random.Next(bytes.Count);
                bytes.RemoveRange(at, Math.Min(1 + _random.Next(10), bytes.Count - at));
                break;
            case 2:
                bytes.InsertRange(_random.Next(bytes.Count), RandomBytes(_random.Next(1, 20)));
                break;
            default:
                return [.. bytes.Take(_random.Next(bytes.Count))];
        }
        return [.. bytes];
    }

    private byte[] BrokenFraming()
    {
        var body = RandomBytes(_random.Next(6, 64));
        // Compression flag set although none was negotiated, or a length prefix larger than the body.
        body[0] = (byte)(_random.Next(2) == 0 ? 1 : 0);
        body[1] = 0;
        body[2] = 0;
        body[3] = 0x10;
        return body;
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    private static async Task<string?> RawGrpcStatus(HttpClient http, Uri party, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(party, "/privateinference.parties.PartyControl/OpenSession"))
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        // A trailers-only error carries the status in the headers.
        return response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.Single()
            : response.Headers.TryGetValues("grpc-status", out var header) ? header.Single()
            : $"http {(int)response.StatusCode}";
    }

    private static SocketsHttpHandler Handler(InProcessParties parties) => new()
    {
        SslOptions = new System.Net.Security.SslClientAuthenticationOptions
        {
            ClientCertificates = [parties.Key(KeyFiles.Client)],
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && CertificateFingerprint.Of(certificate) == parties.Cluster.Party(0).CertSha256,
        },
    };

    private static async Task<HealthReply> Health(GrpcChannel channel) =>
        await new PartyControl.PartyControlClient(channel).HealthAsync(new HealthRequest());

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200 && !await condition(); i++)
            await Task.Delay(25);
    }
}
