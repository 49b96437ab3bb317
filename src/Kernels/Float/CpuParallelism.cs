namespace PrivateInference.Kernels.Float;

/// <summary>
/// How many threads the CPU kernels may use. Process-wide because it is a property of the run
/// (`--threads`), not of any one call; 0 or less means all cores.
/// </summary>
public static class CpuParallelism
{
    private static int _maxThreads = Environment.ProcessorCount;

    public static int MaxThreads
    {
        get => _maxThreads;
        set => _maxThreads = value <= 0 ? Environment.ProcessorCount : value;
    }
}
