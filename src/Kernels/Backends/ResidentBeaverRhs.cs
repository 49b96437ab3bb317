namespace PrivateInference.Kernels.Backends;

/// <summary>
/// The right-hand side of repeated 2pc Beaver products with a prepared weight W: the opened E = W - B and this
/// party's share of the mask B, both fixed for the session. P0 multiplies D by E + B_0, P1 by B_1. The base class
/// references the host arrays (the CPU backend forms E + B per product in a pooled temporary); a GPU backend keeps
/// (E + B_i or B_i, E) on the device, made once.
/// </summary>
public class ResidentBeaverRhs(ulong[] open, ulong[] mask, bool addOpen, int k, int n)
{
    public int K { get; } = k;
    public int N { get; } = n;
    /// <summary>E = W - B, public to both compute parties.</summary>
    public ulong[] Open { get; } = open;
    /// <summary>This party's share of B.</summary>
    public ulong[] Mask { get; } = mask;
    /// <summary>True at P0, whose D factor is E + B_0.</summary>
    public bool AddOpen { get; } = addOpen;
}
