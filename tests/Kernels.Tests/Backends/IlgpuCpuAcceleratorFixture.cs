using PrivateInference.Kernels.Backends;

namespace PrivateInference.Kernels.Tests.Backends;

/// <summary>One ILGPU CPU-accelerator backend for the whole class: kernel loading is the slow part.</summary>
public sealed class IlgpuCpuAcceleratorFixture : IDisposable
{
    public IRingBufferBackend Backend { get; } = IlgpuRingBackend.CreateCpuAccelerator();

    public void Dispose() => Backend.Dispose();
}
