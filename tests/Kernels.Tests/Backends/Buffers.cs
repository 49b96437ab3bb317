using PrivateInference.Kernels.Backends;

namespace PrivateInference.Kernels.Tests.Backends;

/// <summary>Host vectors uploaded to one backend, released together.</summary>
internal sealed class Buffers : IDisposable
{
    private readonly IRingBuffer[] _buffers;

    public Buffers(IRingBufferBackend backend, params ulong[][] data) => _buffers = [.. data.Select(d => backend.Upload(d))];

    public IRingBuffer this[int i] => _buffers[i];

    public void Dispose()
    {
        foreach (var b in _buffers) b.Dispose();
    }
}
