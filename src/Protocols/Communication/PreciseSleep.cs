using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PrivateInference.Protocols.Communication;

/// <summary>
/// Sleeps until a point on a <see cref="Stopwatch"/> clock with sub-millisecond precision and without burning a core.
/// The emulated network waits 0.5 ms per LAN message; <c>Thread.Sleep</c> overshoots that by about a millisecond and
/// yield-spinning through it kept a core busy per delivery thread, which on a 2-core machine running three parties
/// took compute time from the parties themselves (an emulated delay that costs CPU is not what a network costs).
/// On Linux this uses <c>clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)</c> to a deadline read on that clock,
/// with the calling thread's timer slack cut to 1 µs (<c>prctl(PR_SET_TIMERSLACK)</c>; the default 50 µs would add
/// a tenth of a LAN delay); elsewhere it falls back to sleeping the bulk and yielding through the last 1.5 ms.
/// </summary>
public static class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsTime = 1;
    private const int PrSetTimerSlack = 29;
    private const int EINTR = 4;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    private static extern int ClockNanosleep(int clock, int flags, ref TimeSpec request, IntPtr remain);

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, out TimeSpec time);

    [DllImport("libc", EntryPoint = "prctl")]
    private static extern int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    /// <summary>Whether the kernel's absolute sleep is used (Linux).</summary>
    public static bool IsPrecise { get; } = OperatingSystem.IsLinux() && Probe();

    private static bool Probe()
    {
        try { return ClockGettime(ClockMonotonic, out _) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>Cuts the calling thread's timer slack so its sleeps end within a few microseconds (Linux; else nothing).</summary>
    public static void TightenTimerSlack()
    {
        if (IsPrecise) Prctl(PrSetTimerSlack, 1, 0, 0, 0);
    }

    /// <summary>Returns once <paramref name="clock"/> reads at least <paramref name="due"/>.</summary>
    public static void Until(Stopwatch clock, TimeSpan due)
    {
        var remaining = due - clock.Elapsed;
        if (remaining <= TimeSpan.Zero)
            return;
        if (IsPrecise)
        {
            // The deadline on CLOCK_MONOTONIC itself: now plus what the caller's clock says remains.
            ClockGettime(ClockMonotonic, out var now);
            long target = now.Seconds * 1_000_000_000 + now.Nanoseconds + remaining.Ticks * 100;
            var ts = new TimeSpec { Seconds = target / 1_000_000_000, Nanoseconds = target % 1_000_000_000 };
            while (ClockNanosleep(ClockMonotonic, TimerAbsTime, ref ts, IntPtr.Zero) == EINTR) { }
            return;
        }
        while ((remaining = due - clock.Elapsed) > TimeSpan.Zero)
        {
            if (remaining > TimeSpan.FromMilliseconds(1.5))
                Thread.Sleep(remaining - TimeSpan.FromMilliseconds(1));
            else
                Thread.Yield();
        }
    }
}
