namespace PrivateInference.Kernels.Backends;

/// <summary>A split matrix kept on the device as (B0 + B1, B0) for the session's cross-term products.</summary>
internal sealed class IlgpuResidentSplitRhs(IlgpuRingBackend owner, ulong[] b0, ulong[] b1, int k, int n, IRingBuffer sum, IRingBuffer first)
    : ResidentSplitRhs(b0, b1, k, n)
{
    public IlgpuRingBackend Owner { get; } = owner;
    /// <summary>B0 + B1 on the device.</summary>
    public IRingBuffer Sum { get; } = sum;
    /// <summary>B0 on the device.</summary>
    public IRingBuffer First { get; } = first;

    /// <summary>Sessions end by dropping their prepared weights; the device memory goes back with them.</summary>
    ~IlgpuResidentSplitRhs()
    {
        Owner.ReleaseLater(Sum);
        Owner.ReleaseLater(First);
    }
}
