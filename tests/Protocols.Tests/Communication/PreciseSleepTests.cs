using System.Diagnostics;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Tests.Communication;

public class PreciseSleepTests
{
    [Fact]
    public void Never_returns_before_the_deadline()
    {
        PreciseSleep.TightenTimerSlack();
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= 20; i++)
        {
            var due = clock.Elapsed + TimeSpan.FromMicroseconds(100 * i);
            PreciseSleep.Until(clock, due);
            Assert.True(clock.Elapsed >= due, $"woke {(due - clock.Elapsed).TotalMicroseconds:0} µs early");
        }
    }

    [Fact]
    public void A_deadline_in_the_past_returns_at_once_and_the_kernel_sleep_is_used_on_linux()
    {
        var clock = Stopwatch.StartNew();
        PreciseSleep.Until(clock, TimeSpan.FromSeconds(-1));
        Assert.Equal(OperatingSystem.IsLinux(), PreciseSleep.IsPrecise);
    }
}
