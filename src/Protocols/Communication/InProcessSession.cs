using System.Runtime.ExceptionServices;

namespace PrivateInference.Protocols.Communication;

/// <summary>
/// Runs one SPMD program as every party of a session, each on its own thread over one in-process hub, and
/// collects the per-party results. A failing party closes the hub so the others fail fast instead of waiting.
/// </summary>
public static class InProcessSession
{
    /// <param name="wrap">Optional decorator of each party's transport (tests record what a party receives).</param>
    public static T[] Run<T>(SchemeKind scheme, IReadOnlyList<int> parties, Func<MpcContext, T> program, MpcOptions? options = null,
        Func<ITransport, ITransport>? wrap = null)
    {
        var hub = new InProcessHub(parties);
        var results = new T[parties.Count];
        var errors = new Exception?[parties.Count];
        Exception? firstFailure = null;
        var threads = new Thread[parties.Count];
        for (int i = 0; i < parties.Count; i++)
        {
            int slot = i;
            threads[i] = new Thread(() =>
            {
                try
                {
                    using var transport = wrap is null ? hub.Endpoint(parties[slot]) : wrap(hub.Endpoint(parties[slot]));
                    using var ctx = MpcContext.Create(scheme, transport, parties, options);
                    results[slot] = program(ctx);
                }
                catch (Exception e)
                {
                    errors[slot] = e;
                    Interlocked.CompareExchange(ref firstFailure, e, null);
                    hub.Close();
                }
            }) { IsBackground = true, Name = $"party-{parties[slot]}" };
            threads[i].Start();
        }
        foreach (var t in threads) t.Join();
        // The first real failure, not the TransportExceptions it caused in the other parties; among transport
        // failures the earliest (a timeout, say), not the "session closed" it caused.
        var first = errors.FirstOrDefault(e => e is not null and not TransportException) ?? firstFailure;
        if (first is not null) ExceptionDispatchInfo.Capture(first).Throw();
        return results;
    }

    /// <summary>The three compute parties plus the client: the usual test and benchmark session.</summary>
    public static readonly int[] ComputeAndClient = [PartyIds.P0, PartyIds.P1, PartyIds.P2, PartyIds.Client];
}
