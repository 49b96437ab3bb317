using System.Buffers;
using Google.Protobuf;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;


namespace PrivateInference.Parties.Tests;

/// <summary>The link's own parser for data frames reads what the generated parser reads, or leaves the input to it.</summary>
public class DataFrameParserTests
{
    [Theory]
    [InlineData("s", 0UL, 1)]
    [InlineData("session-with-a-longer-id", 7UL, 1000)]
    [InlineData("", ulong.MaxValue, 1 << 20)]
    public void A_data_frame_parses_as_the_generated_parser_reads_it(string sessionId, ulong sequence, int payloadBytes)
    {
        var payload = Enumerable.Range(0, payloadBytes).Select(i => (byte)(i * 31 + 7)).ToArray();
        var wire = new LinkMessage { Data = new DataFrame { SessionId = sessionId, Sequence = sequence, Payload = ByteString.CopyFrom(payload) } }
            .ToByteArray();

        var frame = DataFrameParser.TryParse(new ReadOnlySequence<byte>(wire));

        Assert.NotNull(frame);
        Assert.Equal(LinkMessage.Parser.ParseFrom(wire).Data, frame);
        Assert.NotNull(frame.PooledBuffer);
    }

    [Fact]
    public void A_frame_split_over_several_segments_parses_the_same()
    {
        var payload = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        var wire = new LinkMessage { Data = new DataFrame { SessionId = "s", Sequence = 3, Payload = ByteString.CopyFrom(payload) } }.ToByteArray();

        var frame = DataFrameParser.TryParse(Segmented(wire, 7));

        Assert.NotNull(frame);
        Assert.Equal(payload, frame.Payload.ToByteArray());
        Assert.Equal(3UL, frame.Sequence);
    }

    [Fact]
    public void An_empty_frame_parses_without_a_buffer()
    {
        var wire = new LinkMessage { Data = new DataFrame { SessionId = "s", Sequence = 2 } }.ToByteArray();

        var frame = DataFrameParser.TryParse(new ReadOnlySequence<byte>(wire));

        Assert.NotNull(frame);
        Assert.True(frame.Payload.IsEmpty);
        Assert.Null(frame.PooledBuffer);
    }

    public static TheoryData<string, byte[]> LeftToTheGeneratedParser => new()
    {
        { "a hello", new LinkMessage { Hello = new LinkHello { FromEndpoint = 1, LinkId = "x" } }.ToByteArray() },
        { "a heartbeat", new LinkMessage { Heartbeat = new LinkHeartbeat() }.ToByteArray() },
        { "an abort", new LinkMessage { Abort = new SessionAbort { SessionId = "s", Finished = true } }.ToByteArray() },
        // payload (3) before sequence (2): valid protobuf, but not the order protobuf writes
        { "fields out of order", [0x12, 0x08, 0x0A, 0x01, (byte)'s', 0x1A, 0x01, 0x05, 0x10, 0x04] },
        { "a field given twice", [0x12, 0x06, 0x10, 0x01, 0x10, 0x02, 0x1A, 0x00] },
        { "an unknown field", [0x12, 0x05, 0x10, 0x01, 0x20, 0x01, 0x00] },
        { "a payload longer than the frame", [0x12, 0x04, 0x10, 0x01, 0x1A, 0x09] },
        { "a frame longer than the message", [0x12, 0x09, 0x10, 0x01] },
        { "bytes after the frame", [0x12, 0x02, 0x10, 0x01, 0x08, 0x01] },
        { "an endless varint", [0x12, 0x0B, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "nothing", [] },
    };

    [Theory]
    [MemberData(nameof(LeftToTheGeneratedParser))]
    public void Anything_else_is_left_to_the_generated_parser(string what, byte[] wire)
    {
        Assert.True(DataFrameParser.TryParse(new ReadOnlySequence<byte>(wire)) is null, what);
    }

    [Fact]
    public void A_frame_left_to_the_generated_parser_still_reads_as_before()
    {
        byte[] outOfOrder = [0x12, 0x08, 0x0A, 0x01, (byte)'s', 0x1A, 0x01, 0x05, 0x10, 0x04];

        var frame = LinkMessage.Parser.ParseFrom(outOfOrder).Data;

        Assert.Equal("s", frame.SessionId);
        Assert.Equal(4UL, frame.Sequence);
        Assert.Equal(new byte[] { 5 }, frame.Payload.ToByteArray());
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentBytes)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentBytes)
        {
            var piece = bytes.AsMemory(offset, Math.Min(segmentBytes, bytes.Length - offset));
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
