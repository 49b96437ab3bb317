using PrivateInference.Parties.Transport;


namespace PrivateInference.Parties.Tests;

public class FrameChunkerTests
{
    [Theory]
    [InlineData(0, 4, 0)]
    [InlineData(1, 4, 1)]
    [InlineData(4, 4, 1)]
    [InlineData(5, 4, 2)]
    [InlineData(5 << 20, 1 << 20, 5)]
    [InlineData((5 << 20) + 3, 1 << 20, 6)]
    public void Chunks_cover_the_payload_in_order_without_exceeding_the_limit(int total, int max, int expectedChunks)
    {
        var chunks = FrameChunker.Chunks(total, max).ToArray();

        Assert.Equal(expectedChunks, chunks.Length);
        Assert.All(chunks, c => Assert.InRange(c.Length, 1, max));
        var next = 0;
        foreach (var (offset, length) in chunks)
        {
            Assert.Equal(next, offset);
            next += length;
        }
        Assert.Equal(total, next);
    }

    [Fact]
    public void A_non_positive_chunk_limit_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrameChunker.Chunks(10, 0).ToArray());
    }
}
