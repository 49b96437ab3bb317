using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;


namespace PrivateInference.Parties.Tests.Security;

/// <summary>Keeps the lines an in-process party logs, so tests can check what a refusal says (and what it never says).</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public bool Any(string text) => Lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits until a line containing <paramref name="text"/> arrives (logging is asynchronous to the event).</summary>
    public async Task<string> WaitForAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var line = Lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
                return line;
            await Task.Delay(20);
        }
        throw new TimeoutException($"no log line containing '{text}' within {timeout}; lines: {string.Join(" | ", Lines.Take(20))}");
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
