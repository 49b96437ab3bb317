using ILGPU;
using ILGPU.Runtime;

namespace PrivateInference.Kernels.Backends;

/// <summary>A vector in accelerator memory (device memory under CUDA). An empty vector still holds one element of
/// memory, since ILGPU allocates nothing smaller; <see cref="Length"/> is the logical length.</summary>
internal sealed class IlgpuRingBuffer(IlgpuRingBackend owner, MemoryBuffer1D<ulong, Stride1D.Dense> memory, long length) : IRingBuffer
{
    public IlgpuRingBackend Owner { get; } = owner;
    public MemoryBuffer1D<ulong, Stride1D.Dense> Memory { get; } = memory;
    public long Length { get; } = length;

    /// <summary>The first <paramref name="length"/> elements as a kernel argument.</summary>
    public ArrayView<ulong> View(long length) => Memory.View.SubView(0, length).AsContiguous();

    public void Dispose() => Memory.Dispose();
}
