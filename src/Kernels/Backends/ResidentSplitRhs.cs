namespace PrivateInference.Kernels.Backends;

/// <summary>
/// The right-hand operand of repeated cross-term products, split in two components (B0, B1) fixed for the session.
/// The base class only references the host components, which is all the CPU backend needs; a GPU backend keeps
/// device copies of (B0 + B1, B0), made once, so each later product uploads only the activation side.
/// </summary>
public class ResidentSplitRhs(ulong[] b0, ulong[] b1, int k, int n)
{
    public int K { get; } = k;
    public int N { get; } = n;
    /// <summary>The host components (the caller's arrays, not copies): the fallback for any backend.</summary>
    public ulong[] B0 { get; } = b0;
    public ulong[] B1 { get; } = b1;
}
