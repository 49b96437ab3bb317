namespace PrivateInference.Kernels.Backends;

/// <summary>
/// The process-wide ring backend. A party process (or an in-process run, whose parties are threads) selects it once
/// at startup from <c>--device</c>; the protocols read <see cref="Current"/> for their local work. The CPU backend
/// until something else is selected, so tests and tools that never select get today's behaviour.
/// </summary>
public static class RingBackends
{
    private static readonly object Gate = new();
    private static IRingBackend _current = CpuRingBackend.Instance;

    public static IRingBackend Current => Volatile.Read(ref _current);

    /// <summary>Creates the backend for <paramref name="device"/>; throws <see cref="RingDeviceUnavailableException"/> for cuda without a GPU.</summary>
    public static IRingBufferBackend Create(RingDevice device, IlgpuRingBackendOptions? options = null)
    {
        if (device == RingDevice.Cpu) return CpuRingBackend.Instance;
        var cuda = IlgpuRingBackend.TryCreateCuda(options, out var reason);
        if (cuda is not null) return cuda;
        if (device == RingDevice.Auto) return CpuRingBackend.Instance;
        throw new RingDeviceUnavailableException($"--device cuda: {reason}; use --device cpu or auto");
    }

    /// <summary>
    /// Installs <paramref name="backend"/> until the returned scope is disposed (the previous one comes back; the
    /// caller keeps ownership of <paramref name="backend"/>): how tests run whole protocols on ILGPU's CPU accelerator.
    /// </summary>
    internal static IDisposable Use(IRingBackend backend)
    {
        var previous = Interlocked.Exchange(ref _current, backend);
        return new Restore(previous);
    }

    private sealed class Restore(IRingBackend previous) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref _current, previous);
    }

    /// <summary>Selects the process-wide backend (releasing a previous GPU one) and returns it.</summary>
    public static IRingBackend Select(RingDevice device)
    {
        lock (Gate)
        {
            if (device == RingDevice.Cpu && ReferenceEquals(_current, CpuRingBackend.Instance)) return _current;
            if (device != RingDevice.Cpu && _current is IlgpuRingBackend) return _current;
            var next = Create(device);
            var previous = Interlocked.Exchange(ref _current, next);
            if (!ReferenceEquals(previous, next)) previous.Dispose();
            return next;
        }
    }
}
