using PrivateInference.Engine.KvCache;

namespace PrivateInference.Engine.Tests.KvCache;

public class QuantizedRowStreamTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void PerChannelBlocksStayWithinTheirFinalStepDespiteGrowingRanges(int bits)
    {
        const int width = 8, rows = 80;
        var rng = new Random(bits);
        var data = new float[rows, width];
        var stream = new QuantizedRowStream(new StreamFormat(width, QuantizationAxis.PerChannel, bits), rows);
        var row = new float[width];
        for (int r = 0; r < rows; r++)
        {
            // Ranges that grow within each block force the open block to re-encode.
            for (int c = 0; c < width; c++) row[c] = data[r, c] = (float)((rng.NextDouble() - 0.5) * (1 + r % 32) * (c + 1));
            stream.AppendRecent(row);
            stream.QuantizeNext(row);
        }
        var decoded = new float[width];
        for (int block = 0; block * 32 < rows; block++)
            for (int c = 0; c < width; c++)
            {
                int start = block * 32, end = Math.Min(rows, start + 32);
                float min = float.MaxValue, max = float.MinValue;
                for (int r = start; r < end; r++) { min = MathF.Min(min, data[r, c]); max = MathF.Max(max, data[r, c]); }
                float step = (max - min) / UniformQuantizer.Levels(bits);
                for (int r = start; r < end; r++)
                {
                    stream.Read(r, decoded);
                    // Each widening re-encodes once (half a step); a block widens at most a few times per channel,
                    // and the widened range is never smaller than the true one: 2 steps is a loose, honest bound.
                    Assert.True(MathF.Abs(decoded[c] - data[r, c]) <= 2 * step + 1e-3f * MathF.Abs(max - min) + 1e-5f,
                        $"bits {bits}, row {r}, channel {c}: {decoded[c]} vs {data[r, c]} (step {step})");
                }
            }
    }

    [Fact]
    public void RecentRowsAreKeptInFp16()
    {
        var stream = new QuantizedRowStream(new StreamFormat(4, QuantizationAxis.PerToken, 2), 8);
        float[] row = [0.1f, -1.3f, 2.7f, 1e-3f];
        stream.AppendRecent(row);
        var read = new float[4];
        stream.Read(0, read);
        Assert.False(stream.IsQuantized(0));
        Assert.Equal(row.Select(v => (float)(Half)v), read);
    }

    [Fact]
    public void QuantizationOffKeepsRowsExactly()
    {
        var stream = new QuantizedRowStream(new StreamFormat(3, QuantizationAxis.PerChannel, null), 4);
        float[] row = [0.123456789f, -7.654321f, 1e-7f];
        stream.AppendRecent(row);
        stream.QuantizeNext(row);
        var read = new float[3];
        stream.Read(0, read);
        Assert.Equal(row, read);
    }

    [Fact]
    public void BytesHeldCountsCodesScalesAndRecentRows()
    {
        // 32-wide per-channel 2-bit stream, 40 rows quantized (two blocks opened) and 5 recent.
        var stream = new QuantizedRowStream(new StreamFormat(32, QuantizationAxis.PerChannel, 2), 64);
        var row = new float[32];
        for (int r = 0; r < 45; r++)
        {
            row[r % 32] = r;
            stream.AppendRecent(row);
            if (r < 40) stream.QuantizeNext(row);
        }
        // codes 40 × 8 bytes, scales+zeros 2 blocks × 32 channels × 4 bytes, recent 5 × 32 × 2 bytes.
        Assert.Equal(40 * 8 + 2 * 32 * 4 + 5 * 64, stream.BytesHeld);
    }
}
