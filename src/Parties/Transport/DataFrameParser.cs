using System.Buffers;
using System.Text;
using Google.Protobuf;
using PrivateInference.Parties.Protos;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// Reads a <c>LinkMessage</c> that holds a <c>DataFrame</c>, in the canonical encoding protobuf writes (fields once
/// each, in field order), copying the payload into a pooled array. Returns null for any other input, which the
/// generated parser then reads (or rejects) as before, so the set of accepted messages does not change.
/// </summary>
internal static class DataFrameParser
{
    private const uint DataTag = 2 << 3 | 2;        // LinkMessage.data, length-delimited
    private const uint SessionIdTag = 1 << 3 | 2;   // DataFrame.session_id, length-delimited
    private const uint SequenceTag = 2 << 3 | 0;    // DataFrame.sequence, varint
    private const uint PayloadTag = 3 << 3 | 2;     // DataFrame.payload, length-delimited

    public static DataFrame? TryParse(ReadOnlySequence<byte> message)
    {
        var reader = new SequenceReader<byte>(message);
        if (!TryReadVarint(ref reader, out var tag) || tag != DataTag
            || !TryReadVarint(ref reader, out var frameLength) || (long)frameLength != reader.Remaining)
            return null;
        var sessionId = "";
        ulong sequence = 0;
        byte[]? payload = null;
        var payloadLength = 0;
        uint lastField = 0;
        while (!reader.End)
        {
            if (!TryReadVarint(ref reader, out tag) || tag >> 3 <= lastField)
                return Discard(payload);
            lastField = (uint)(tag >> 3);
            switch (tag)
            {
                case SessionIdTag:
                    if (!TryReadLength(ref reader, out var idLength) || idLength > 1024)
                        return Discard(payload);
                    sessionId = Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, idLength));
                    reader.Advance(idLength);
                    break;
                case SequenceTag:
                    if (!TryReadVarint(ref reader, out sequence))
                        return Discard(payload);
                    break;
                case PayloadTag:
                    if (!TryReadLength(ref reader, out payloadLength) || payloadLength > FrameBuffers.MaxPooledBytes)
                        return Discard(payload);
                    if (payloadLength > 0)
                    {
                        payload = FrameBuffers.Rent(payloadLength);
                        reader.TryCopyTo(payload.AsSpan(0, payloadLength));
                        reader.Advance(payloadLength);
                    }
                    break;
                default:
                    return Discard(payload);
            }
        }
        return new DataFrame
        {
            SessionId = sessionId,
            Sequence = sequence,
            Payload = payload is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(payload.AsMemory(0, payloadLength)),
            PooledBuffer = payload,
        };
    }

    private static DataFrame? Discard(byte[]? payload)
    {
        if (payload is not null)
            FrameBuffers.Return(payload);
        return null;
    }

    /// <summary>A length prefix that fits in what is left of the message.</summary>
    private static bool TryReadLength(ref SequenceReader<byte> reader, out int length)
    {
        length = 0;
        if (!TryReadVarint(ref reader, out var value) || value > (ulong)reader.Remaining)
            return false;
        length = (int)value;
        return true;
    }

    private static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
                return false;
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
                return true;
        }
        return false;
    }
}
