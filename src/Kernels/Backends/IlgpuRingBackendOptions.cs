namespace PrivateInference.Kernels.Backends;

/// <summary>When the fused host operations of <see cref="IlgpuRingBackend"/> are worth a trip to the device.</summary>
public sealed record IlgpuRingBackendOptions
{
    /// <summary>
    /// Products with fewer multiply-adds (batch*m*k*n) run on the CPU backend: below this the PCIe upload of the
    /// operands costs more than the CPU needs for the whole product. 0 sends everything to the device (tests).
    /// </summary>
    public long MinMatMulWork { get; init; } = 1L << 24;

    /// <summary>Elementwise steps on fewer elements than this run on the CPU backend (memory-bound either way).</summary>
    public long MinElements { get; init; } = 1L << 22;

    /// <summary>Everything on the device, whatever its size: what the correctness tests and gpu-check use.</summary>
    public static IlgpuRingBackendOptions AlwaysDevice { get; } = new() { MinMatMulWork = 0, MinElements = 0 };
}
