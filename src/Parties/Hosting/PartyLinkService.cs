using Grpc.Core;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;


namespace PrivateInference.Parties.Hosting;

/// <summary>Accepts the links that higher-id parties, clients and model owners dial into this party.</summary>
internal sealed class PartyLinkService(LinkMesh mesh) : PartyLink.PartyLinkBase
{
    public override Task Link(
        IAsyncStreamReader<LinkMessage> requestStream, IServerStreamWriter<LinkMessage> responseStream, ServerCallContext context) =>
        mesh.AcceptAsync(requestStream, responseStream, context);
}
