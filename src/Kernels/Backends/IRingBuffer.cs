namespace PrivateInference.Kernels.Backends;

/// <summary>
/// A vector of Z_2^64 elements owned by one <see cref="IRingBackend"/>: host memory for the CPU backend, device
/// memory for a GPU backend. It stays where it is between operations, so a protocol step that chains several
/// kernels moves data across the bus only at its start and end.
/// </summary>
public interface IRingBuffer : IDisposable
{
    long Length { get; }
}
