namespace PrivateInference.Kernels.Backends;

/// <summary>Where a party does its share arithmetic (<c>--device cpu|cuda|auto</c>).</summary>
public enum RingDevice
{
    /// <summary>SIMD and threads on the host: the default.</summary>
    Cpu,
    /// <summary>The first CUDA GPU; an error when there is none.</summary>
    Cuda,
    /// <summary>CUDA when a device is present, otherwise the CPU.</summary>
    Auto,
}

public static class RingDeviceNames
{
    public static readonly string[] All = ["cpu", "cuda", "auto"];

    public static RingDevice Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cpu" => RingDevice.Cpu,
        "cuda" => RingDevice.Cuda,
        "auto" => RingDevice.Auto,
        _ => throw new ArgumentException($"device must be cpu, cuda or auto, not '{text}'"),
    };

    public static string Name(RingDevice device) => device switch
    {
        RingDevice.Cuda => "cuda",
        RingDevice.Auto => "auto",
        _ => "cpu",
    };
}
