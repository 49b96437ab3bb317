namespace PrivateInference.Kernels.Backends;

/// <summary>A prepared 2pc weight on the device: the D factor (E + B_0 or B_1) and E.</summary>
internal sealed class IlgpuResidentBeaverRhs(IlgpuRingBackend owner, ulong[] open, ulong[] mask, bool addOpen, int k, int n,
    IRingBuffer dFactor, IRingBuffer open_)
    : ResidentBeaverRhs(open, mask, addOpen, k, n)
{
    public IlgpuRingBackend Owner { get; } = owner;
    public IRingBuffer DFactor { get; } = dFactor;
    public IRingBuffer OpenOnDevice { get; } = open_;

    /// <summary>Sessions end by dropping their prepared weights; the device memory goes back with them.</summary>
    ~IlgpuResidentBeaverRhs()
    {
        Owner.ReleaseLater(DFactor);
        Owner.ReleaseLater(OpenOnDevice);
    }
}
