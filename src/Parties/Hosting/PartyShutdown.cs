
namespace PrivateInference.Parties.Hosting;

/// <summary>The one place any reason to stop a party (signal, Shutdown call, closed stdin) is funnelled into.</summary>
internal sealed class PartyShutdown
{
    private readonly CancellationTokenSource _requested = new();

    public CancellationToken Token => _requested.Token;

    public string? Reason { get; private set; }

    public void Request(string reason)
    {
        lock (_requested)
        {
            if (_requested.IsCancellationRequested)
                return;
            Reason = reason;
        }
        // Cancelled on a pool thread so a Shutdown RPC can answer before the server stops.
        _ = Task.Run(_requested.Cancel);
    }
}
