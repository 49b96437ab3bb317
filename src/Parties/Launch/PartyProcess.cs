using System.Diagnostics;


namespace PrivateInference.Parties.Launch;

/// <summary>
/// One child `pi party` process. Its standard input is held open by this process: when this process ends, in
/// whatever way, the pipe closes and the child (started with <c>--exit-with-stdin</c>) shuts itself down.
/// </summary>
internal sealed class PartyProcess : IDisposable
{
    private const int RememberedLines = 40;

    private readonly Process _process;
    private readonly Queue<string> _recentLines = new();
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PartyProcess(int partyId, Process process)
    {
        PartyId = partyId;
        _process = process;
    }

    public int PartyId { get; }

    public int ProcessId => _process.Id;

    /// <summary>Completes with the exit code when the process ends.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>The last lines the party printed, for error messages.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_recentLines)
                return string.Join(Environment.NewLine, _recentLines);
        }
    }

    public static PartyProcess Start(int partyId, IEnumerable<string> piArguments, Action<int, string>? onOutput)
    {
        var (fileName, leading) = PiExecutable.Resolve();
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in leading.Concat(piArguments))
            start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var party = new PartyProcess(partyId, process);
        process.OutputDataReceived += (_, e) => party.OnLine(e.Data, onOutput);
        process.ErrorDataReceived += (_, e) => party.OnLine(e.Data, onOutput);
        process.Exited += (_, _) => party._exited.TrySetResult(SafeExitCode(process));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return party;
    }

    /// <summary>Asks the party to exit (closing its stdin), waits up to <paramref name="grace"/>, then kills it.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Already gone.
        }
        if (await Task.WhenAny(Exited, Task.Delay(grace)).ConfigureAwait(false) == Exited)
            return;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited in the meantime.
        }
        await Task.WhenAny(Exited, Task.Delay(grace)).ConfigureAwait(false);
    }

    public void Dispose() => _process.Dispose();

    private void OnLine(string? line, Action<int, string>? onOutput)
    {
        if (line is null)
            return;
        lock (_recentLines)
        {
            _recentLines.Enqueue(line);
            if (_recentLines.Count > RememberedLines)
                _recentLines.Dequeue();
        }
        onOutput?.Invoke(PartyId, line);
    }

    private static int SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }
}
