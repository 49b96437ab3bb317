namespace PrivateInference.Parties.Clusters;

/// <summary>
/// Endpoint ids of the mesh. Compute parties are 0..n-1; the client and the model owner join the same id space
/// so protocol code can send shares to and from them through the same <c>ITransport</c>.
/// </summary>
public static class Endpoints
{
    public const int Client = 3;
    public const int ModelOwner = 4;

    public static bool IsExternal(int endpoint) => endpoint is Client or ModelOwner;

    public static string Name(int endpoint) => endpoint switch
    {
        Client => "client",
        ModelOwner => "model owner",
        _ => $"party {endpoint}",
    };
}
