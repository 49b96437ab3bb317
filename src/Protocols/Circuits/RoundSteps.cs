using PrivateInference.Protocols.Communication;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// Gates written as round steps: an iterator whose every <c>yield return</c> ends one communication round, after
/// the step's sends and before the receives that wait on them. Run alone, a gate costs a round per step; run in
/// <see cref="Lockstep"/> with independent gates, their rounds coincide: every gate sends its round's messages before
/// any gate waits on the previous round's, so k gates of r rounds cost max(r) round trips, not their sum. Each
/// gate in a lockstep draws from its own fork of the pair keys (<see cref="PairwiseKeys.Fork"/>), so the order in
/// which the branches draw does not matter; messages between two parties keep the branches' fixed order on both ends.
/// </summary>
internal static class RoundSteps
{
    /// <summary>A gate's result, written by its last step.</summary>
    internal sealed class Outcome<T>
    {
        public T Value { get; set; } = default!;
    }

    /// <summary>Runs one gate alone: a round per step.</summary>
    public static void Run(Channel channel, IEnumerable<int> steps)
    {
        foreach (var _ in steps) channel.Round();
    }

    /// <summary>
    /// Runs independent gates in the same rounds: in each step every unfinished gate takes its step, in the order
    /// given (at every party alike), then the round is counted once. A branch whose helper side waits on data should
    /// come last, so that the helper's data-independent sends of the others are not held behind its receive.
    /// </summary>
    public static void Lockstep(Channel channel, params IEnumerable<int>[] branches)
    {
        var live = branches.Select(b => b.GetEnumerator()).ToList();
        try
        {
            while (live.Count > 0)
            {
                var next = new List<IEnumerator<int>>(live.Count);
                foreach (var it in live)
                    if (it.MoveNext()) next.Add(it);
                    else it.Dispose();
                if (next.Count > 0) channel.Round();
                live = next;
            }
        }
        finally
        {
            foreach (var it in live) it.Dispose();
        }
    }
}
