using Google.Protobuf;
using Grpc.Core;
using PrivateInference.Parties.Protos;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// The <c>PartyLink.Link</c> method of party.proto with a marshaller of its own: the same protobuf bytes on the wire
/// as the generated one (so any gRPC client of party.proto interoperates), but a data frame's payload is parsed into
/// a pooled <see cref="FrameBuffers"/> array (<see cref="DataFrameParser"/>) instead of a fresh one per frame.
/// </summary>
internal static class LinkWire
{
    private static readonly Marshaller<LinkMessage> Marshaller = Marshallers.Create(Serialize, Deserialize);

    public static Method<LinkMessage, LinkMessage> Link { get; } = new(
        MethodType.DuplexStreaming, "privateinference.parties.PartyLink", "Link", Marshaller, Marshaller);

    private static void Serialize(LinkMessage message, SerializationContext context)
    {
        // As the generated marshaller does: straight into gRPC's buffer, one copy of the payload.
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static LinkMessage Deserialize(DeserializationContext context)
    {
        var bytes = context.PayloadAsReadOnlySequence();
        // Anything but a plain data frame (hellos, heartbeats, aborts, and input the fast path does not recognise,
        // malformed or not) goes to the generated parser, which accepts and rejects exactly what it always did.
        return DataFrameParser.TryParse(bytes) is { } frame
            ? new LinkMessage { Data = frame }
            : LinkMessage.Parser.ParseFrom(bytes);
    }
}
