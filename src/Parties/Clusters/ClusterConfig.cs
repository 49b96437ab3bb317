using System.Text.Json.Serialization;
using System.Text.Json;

namespace PrivateInference.Parties.Clusters;

/// <summary>Where one compute party listens, and (in a TLS cluster) the SHA-256 fingerprint of its certificate.</summary>
public sealed record PartyAddress(int Id, string Host, int Port)
{
    /// <summary>Pinned certificate; null only in a plaintext (<c>--insecure</c>) cluster.</summary>
    public string? CertSha256 { get; init; }

    [JsonIgnore]
    public Uri Uri => new($"{(CertSha256 is null ? "http" : "https")}://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}");
}

/// <summary>A client-side identity allowed in: <c>client</c> (endpoint 3) or <c>owner</c> (model owner, endpoint 4).</summary>
public sealed record ClientIdentity(string Role, string CertSha256)
{
    public static readonly string[] Roles = ["client", "owner"];

    [JsonIgnore]
    public int Endpoint => Role == "owner" ? Endpoints.ModelOwner : Endpoints.Client;
}

/// <summary>
/// The cluster file (<c>cluster.json</c>): which parties exist, where they listen and, in a TLS cluster, which
/// certificate each party and each client-side identity must present. In <c>2pc</c> the party with id 2 is the
/// dealer. Example:
/// <code>{ "cluster_id": "prod", "scheme": "3pc",
///   "parties": [ { "id": 0, "host": "10.0.0.1", "port": 50100, "cert_sha256": "9f…" }, ... ],
///   "clients": [ { "role": "client", "cert_sha256": "…" }, { "role": "owner", "cert_sha256": "…" } ] }</code>
/// </summary>
public sealed record ClusterConfig(string ClusterId, string Scheme, IReadOnlyList<PartyAddress> Parties)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Client-side certificates allowed to connect (TLS clusters only).</summary>
    public IReadOnlyList<ClientIdentity>? Clients { get; init; }

    /// <summary>True when the cluster pins certificates: every connection is then mutual TLS.</summary>
    [JsonIgnore]
    public bool Secure => Parties.Any(p => p.CertSha256 is not null);

    /// <summary>The directory of the file this was loaded from, where keys are looked up by default.</summary>
    [JsonIgnore]
    public string? Directory { get; init; }

    /// <summary>Who holds the certificate with this fingerprint (a party or a client role), or null for a stranger.</summary>
    public string? Holder(string fingerprint) =>
        Parties.FirstOrDefault(p => p.CertSha256 == fingerprint) is { } party ? $"party {party.Id}"
        : Clients?.FirstOrDefault(c => c.CertSha256 == fingerprint) is { } client ? client.Role
        : null;

    /// <summary>Whether the holder of <paramref name="fingerprint"/> may open a link as <paramref name="endpoint"/>.</summary>
    public bool MayActAs(string? fingerprint, int endpoint) =>
        fingerprint is not null && (Endpoints.IsExternal(endpoint)
            ? Clients?.Any(c => c.CertSha256 == fingerprint && c.Endpoint == endpoint) == true
            : Parties.Any(p => p.Id == endpoint && p.CertSha256 == fingerprint));

    /// <summary>Fingerprints allowed to connect to a party: the other parties' and the client-side ones.</summary>
    [JsonIgnore]
    public IReadOnlySet<string> PinnedFingerprints =>
        Parties.Select(p => p.CertSha256).Concat(Clients?.Select(c => c.CertSha256) ?? []).OfType<string>().ToHashSet();

    public static readonly string[] Schemes = ["3pc", "2pc"];

    [JsonIgnore]
    public IEnumerable<int> PartyIds => Parties.Select(p => p.Id);

    public PartyAddress Party(int id) => Parties.FirstOrDefault(p => p.Id == id)
        ?? throw new ClusterConfigException(
            $"party {id} is not in cluster '{ClusterId}' (its parties are {string.Join(", ", PartyIds)})");

    public static ClusterConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ClusterConfigException($"cannot read cluster file '{path}': {e.Message}");
        }
        ClusterConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ClusterConfig>(text, Json);
        }
        catch (JsonException e)
        {
            throw new ClusterConfigException($"cluster file '{path}' is not valid JSON: {e.Message}");
        }
        if (config is null)
            throw new ClusterConfigException($"cluster file '{path}' is empty");
        try
        {
            return config.Validated() with { Directory = Path.GetDirectoryName(Path.GetFullPath(path)) };
        }
        catch (ClusterConfigException e)
        {
            throw new ClusterConfigException($"cluster file '{path}': {e.Message}");
        }
    }

    public void Save(string path)
    {
        Validated();
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + Environment.NewLine);
    }

    /// <summary>Checks what the rest of the code relies on: ids 0..n-1 once each, a known scheme, usable addresses.</summary>
    public ClusterConfig Validated()
    {
        if (Parties is null || Parties.Count is < 2 or > 3)
            throw new ClusterConfigException($"a cluster has 2 or 3 parties, not {Parties?.Count ?? 0}");
        if (!Schemes.Contains(Scheme))
            throw new ClusterConfigException($"unknown scheme '{Scheme}': use {string.Join(" or ", Schemes)}");
        if (Scheme == "2pc" && Parties.Count != 3)
            throw new ClusterConfigException("2pc needs 3 parties: P0 and P1 compute, P2 is the dealer");
        var ids = Parties.Select(p => p?.Id ?? -1).Order().ToArray();
        if (!ids.SequenceEqual(Enumerable.Range(0, Parties.Count)))
            throw new ClusterConfigException($"party ids must be 0..{Parties.Count - 1}, each once; found {string.Join(", ", ids)}");
        foreach (var party in Parties)
        {
            if (string.IsNullOrWhiteSpace(party.Host))
                throw new ClusterConfigException($"party {party.Id} has no host");
            if (party.Port is < 1 or > 65535)
                throw new ClusterConfigException($"party {party.Id} has port {party.Port}, outside 1..65535");
        }
        var pinned = Parties.Count(p => p.CertSha256 is not null);
        if (pinned == 0)
        {
            if (Clients is { Count: > 0 })
                throw new ClusterConfigException("clients are pinned but the parties are not: every party needs a cert_sha256");
            return this with { ClusterId = ClusterId ?? "", Parties = Parties.OrderBy(p => p.Id).ToArray() };
        }
        if (pinned != Parties.Count)
            throw new ClusterConfigException(
                $"parties {string.Join(", ", Parties.Where(p => p.CertSha256 is null).Select(p => p.Id))} have no cert_sha256: pin all or none");
        var parties = Parties.OrderBy(p => p.Id).Select(p => p with { CertSha256 = Fingerprint(p.CertSha256, $"party {p.Id}") }).ToArray();
        if (Clients is not { Count: > 0 })
            throw new ClusterConfigException("a cluster with pinned parties needs 'clients': the certificates allowed to connect as client or owner");
        var clients = Clients.Select(c =>
        {
            if (c is null || !ClientIdentity.Roles.Contains(c.Role))
                throw new ClusterConfigException($"a client role must be {string.Join(" or ", ClientIdentity.Roles)}, not '{c?.Role}'");
            return c with { CertSha256 = Fingerprint(c.CertSha256, c.Role) };
        }).ToArray();
        var all = parties.Select(p => p.CertSha256!).Concat(clients.Select(c => c.CertSha256)).ToArray();
        if (all.Distinct().Count() != all.Length)
            throw new ClusterConfigException("the same certificate is pinned twice: every party and client role needs its own key");
        return this with { ClusterId = ClusterId ?? "", Parties = parties, Clients = clients };

        static string Fingerprint(string? text, string who) => CertificateFingerprint.Normalize(text)
            ?? throw new ClusterConfigException($"the cert_sha256 of {who} is not 64 hex digits: '{text}'");
    }
}

/// <summary>A cluster file that is missing, unreadable or inconsistent; the message is meant for the user.</summary>
public class ClusterConfigException(string message) : Exception(message);

/// <summary>A cluster file without certificates, used where plaintext was not explicitly allowed. Library code says
/// only that; the command line adds which flag allows it.</summary>
public sealed class PlaintextClusterException(string message) : ClusterConfigException(message);
