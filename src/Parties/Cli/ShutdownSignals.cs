using System.Runtime.InteropServices;


namespace PrivateInference.Parties.Cli;

/// <summary>
/// Turns SIGTERM and SIGINT into cancellation, so long-running commands stop their parties cleanly instead of
/// being terminated by the runtime's default handling (which skips the command's own cleanup).
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignals(CancellationToken outer)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations = [Register(PosixSignal.SIGTERM), Register(PosixSignal.SIGINT)];
    }

    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        foreach (var registration in _registrations)
            registration.Dispose();
        _source.Dispose();
    }

    private PosixSignalRegistration Register(PosixSignal signal) => PosixSignalRegistration.Create(signal, context =>
    {
        context.Cancel = true;
        _source.Cancel();
    });
}
