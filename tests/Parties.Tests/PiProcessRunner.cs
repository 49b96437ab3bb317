using System.Diagnostics;
using PrivateInference.Parties.Launch;


namespace PrivateInference.Parties.Tests;

/// <summary>Runs the `pi` executable built beside the tests.</summary>
internal static class PiProcessRunner
{
    public static Process Start(params string[] arguments)
    {
        var (fileName, leading) = PiExecutable.Resolve();
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in leading.Concat(arguments))
            start.ArgumentList.Add(argument);
        return Process.Start(start)!;
    }

    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pi {string.Join(' ', arguments)} did not exit within {timeout}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
