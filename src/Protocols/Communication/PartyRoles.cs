namespace PrivateInference.Protocols.Communication;

/// <summary>
/// A cyclic relabeling of the three compute parties: under shift s the party in role r (0, 1: the two that hold the
/// 2-out-of-2 shares; 2: their helper) is physical party r + s mod 3, so every protocol written for fixed roles runs
/// with any party as the helper (<see cref="Channel.Rotated"/>, <see cref="PairwiseKeys.Rotated"/>). A cyclic shift
/// keeps replicated shares valid as they are: physical P_p holds (C_p, C_p+1), which is role p − s holding
/// (D_(p−s), D_(p−s+1)) for D_i = C_(i+s). The client and the model owner keep their ids.
/// </summary>
public static class PartyRoles
{
    public const int Count = 3;

    public static int Normalize(int shift) => ((shift % Count) + Count) % Count;

    /// <summary>The physical party that plays <paramref name="role"/> under <paramref name="shift"/>.</summary>
    public static int Physical(int role, int shift) => role < Count ? (role + shift) % Count : role;

    /// <summary>The role physical party <paramref name="party"/> plays under <paramref name="shift"/>.</summary>
    public static int Role(int party, int shift) => party < Count ? (party - shift + Count) % Count : party;
}
