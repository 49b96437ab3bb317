using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// What a party checks before a session exists: ids and arguments within bounds, only client and owner named as
/// outside endpoints, and for a validating job its arguments and session terms. One place, so the gRPC route
/// (<c>SessionJobRunner</c>) and the in-process route (<see cref="InProcessJobRunner"/>) refuse exactly the same requests
/// with exactly the same messages.
/// </summary>
public static class SessionOpening
{
    // Bounds on what a client may ask for: far above real use, low enough that a hostile request costs nothing.
    private const int MaxSessionIdLength = 200;
    private const int MaxArguments = 64;
    private const int MaxArgumentNameLength = 64;
    private const int MaxArgumentValueLength = 64 << 10;

    /// <summary>Throws <see cref="ArgumentException"/> for a malformed request, <see cref="SessionTermsException"/> for
    /// terms the party does not accept, <see cref="InvalidOperationException"/> for a state that forbids the session.</summary>
    public static void Check(string sessionId, IPartyJob job, JobArguments arguments, IReadOnlyCollection<int> externalEndpoints,
        ClusterConfig cluster, SessionTerms expected, Storage.ShareStore? store)
    {
        if (string.IsNullOrWhiteSpace(sessionId) || sessionId.Length > MaxSessionIdLength || sessionId.Any(char.IsControl))
            throw new ArgumentException($"a session id must be 1..{MaxSessionIdLength} printable characters");
        if (arguments.Values.Count > MaxArguments)
            throw new ArgumentException($"{arguments.Values.Count} job arguments; at most {MaxArguments} are accepted");
        foreach (var (name, value) in arguments.Values)
        {
            if (name.Length is 0 or > MaxArgumentNameLength || value.Length > MaxArgumentValueLength)
                throw new ArgumentException(
                    $"job argument names must have 1..{MaxArgumentNameLength} characters and values at most {MaxArgumentValueLength}");
        }
        if (externalEndpoints.Any(e => !Endpoints.IsExternal(e)))
            throw new ArgumentException($"endpoint links may only name the client ({Endpoints.Client}) and the model owner ({Endpoints.ModelOwner})");
        if (job is IValidatingPartyJob validating)
            validating.ValidateOpen(arguments, cluster, externalEndpoints, expected, store);
    }
}
