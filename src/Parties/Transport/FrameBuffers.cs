using System.Buffers;

namespace PrivateInference.Parties.Transport;

/// <summary>
/// The buffers that carry frame payloads between a session and the gRPC stream: a sent chunk is copied into one
/// until the link's pump has written it, and a received payload is parsed into one until the session's inbox has
/// handed its bytes to the job. Before pooling, each 1 MiB frame cost two fresh large-object allocations (the
/// protobuf copies on both ends), and about a third of the CPU time of `pi exchange-check` went to faulting in and
/// zeroing their pages; with the pool the warm CPU time per byte halved (docs/benchmarks/links.md).
/// </summary>
/// <remarks>
/// A pool of its own rather than <see cref="ArrayPool{T}.Shared"/>: these arrays hold shares, and only link code
/// rents them, which always writes the bytes it uses before anything reads them (a rented array's older contents
/// are never read or sent). Arrays are not cleared on return for the same reason; clearing would add a pass over
/// every byte moved.
/// </remarks>
internal static class FrameBuffers
{
    /// <summary>The largest payload kept for reuse: the largest gRPC message a link accepts.</summary>
    public const int MaxPooledBytes = TransportOptions.MaxMessageBytes;

    // Sends are queued without waiting, so a 64 MiB send to each of two peers has 128 frames of 1 MiB in flight at
    // once: up to 256 arrays per size are kept (at most 256 MiB of 1 MiB frames, and only after a peak that needed
    // them anyway). Beyond that a rent allocates and the return drops the array, as every frame did before.
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxPooledBytes, 256);

    /// <summary>An array of at least <paramref name="length"/> bytes, to be given back with <see cref="Return"/>
    /// once no one reads it any more.</summary>
    public static byte[] Rent(int length) => Pool.Rent(length);

    /// <summary>Gives back an array from <see cref="Rent"/>; the caller must hold no other reference to it.</summary>
    public static void Return(byte[] buffer) => Pool.Return(buffer);
}
