namespace PrivateInference.Kernels.Backends;

/// <summary>An offset matrix on the device: the D factor (E + B or B) and E.</summary>
internal sealed class IlgpuResidentOffsetRhs(IlgpuRingBackend owner, ulong[] open, ulong[] mask, bool addOpen, int k, int n,
    IRingBuffer dFactor, IRingBuffer open_)
    : ResidentOffsetRhs(open, mask, addOpen, k, n)
{
    public IlgpuRingBackend Owner { get; } = owner;
    public IRingBuffer DFactor { get; } = dFactor;
    public IRingBuffer OpenOnDevice { get; } = open_;

    /// <summary>Sessions end by dropping their prepared weights; the device memory goes back with them.</summary>
    ~IlgpuResidentOffsetRhs()
    {
        Owner.ReleaseLater(DFactor);
        Owner.ReleaseLater(OpenOnDevice);
    }
}
