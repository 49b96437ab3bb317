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

    /// <summary>
    /// The defaults, overridden by PI_GPU_MIN_MATMUL_WORK and PI_GPU_MIN_ELEMENTS when set (how gpu-check measures the
    /// decode step with everything on the device, without a CLI option for a tuning knob).
    /// </summary>
    public static IlgpuRingBackendOptions FromEnvironment(Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        var options = new IlgpuRingBackendOptions();
        if (Read(lookup, "PI_GPU_MIN_MATMUL_WORK") is { } work) options = options with { MinMatMulWork = work };
        if (Read(lookup, "PI_GPU_MIN_ELEMENTS") is { } elements) options = options with { MinElements = elements };
        return options;
    }

    private static long? Read(Func<string, string?> lookup, string name) =>
        lookup(name) is { Length: > 0 } text
            ? long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v) && v >= 0
                ? v : throw new ArgumentException($"{name} must be a non-negative integer, not '{text}'")
            : null;

    /// <summary>
    /// Weights with at least this many elements are kept on the device for the session: each product then moves only
    /// the activation and the result, which pays even for one-row decode products.
    /// </summary>
    public long MinResidentElements { get; init; } = 1L << 16;

    /// <summary>Everything on the device, whatever its size: what the correctness tests and gpu-check use.</summary>
    public static IlgpuRingBackendOptions AlwaysDevice { get; } = new() { MinMatMulWork = 0, MinElements = 0, MinResidentElements = 0 };
}
