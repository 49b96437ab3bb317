
namespace PrivateInference.Parties.Transport;

/// <summary>Splits one send into frame-sized pieces; the receiver's byte stream makes reassembly implicit.</summary>
public static class FrameChunker
{
    /// <summary>The (offset, length) of each chunk of a <paramref name="totalBytes"/> payload, in order.</summary>
    public static IEnumerable<(int Offset, int Length)> Chunks(int totalBytes, int maxChunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkBytes);
        for (var offset = 0; offset < totalBytes; offset += maxChunkBytes)
            yield return (offset, Math.Min(maxChunkBytes, totalBytes - offset));
    }
}
