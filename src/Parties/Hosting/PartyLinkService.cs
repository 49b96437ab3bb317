using Grpc.Core;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;


namespace PrivateInference.Parties.Hosting;

/// <summary>Accepts the links that higher-id parties, clients and model owners dial into this party. Bound to
/// <see cref="LinkWire.Link"/> (party.proto's method with the pooling marshaller), not to the generated base.</summary>
/// <remarks>Not sealed and <see cref="Link"/> virtual: Grpc.AspNetCore binds only a virtual method declared on the
/// type that <see cref="BindServiceMethodAttribute"/> names.</remarks>
[BindServiceMethod(typeof(PartyLinkService), nameof(BindService))]
internal class PartyLinkService(LinkMesh mesh)
{
    public virtual Task Link(
        IAsyncStreamReader<LinkMessage> requestStream, IServerStreamWriter<LinkMessage> responseStream, ServerCallContext context) =>
        mesh.AcceptAsync(requestStream, responseStream, context);

    public static void BindService(ServiceBinderBase binder, PartyLinkService? service) =>
        binder.AddMethod(LinkWire.Link, service is null ? null : new DuplexStreamingServerMethod<LinkMessage, LinkMessage>(service.Link));
}
