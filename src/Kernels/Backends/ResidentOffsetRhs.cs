namespace PrivateInference.Kernels.Backends;

/// <summary>
/// The right-hand side of repeated products with a matrix given as a public offset E and a component B, both fixed
/// for the session: D is multiplied by E + B (<see cref="AddOpen"/>) or by B alone, and A by E. The base class
/// references the host arrays (the CPU backend forms E + B per product in a pooled temporary); a GPU backend keeps
/// (E + B or B, E) on the device, made once.
/// </summary>
public class ResidentOffsetRhs(ulong[] open, ulong[] mask, bool addOpen, int k, int n)
{
    public int K { get; } = k;
    public int N { get; } = n;
    /// <summary>The offset E.</summary>
    public ulong[] Open { get; } = open;
    /// <summary>The component B.</summary>
    public ulong[] Mask { get; } = mask;
    /// <summary>Whether D's factor is E + B (else B).</summary>
    public bool AddOpen { get; } = addOpen;
}
