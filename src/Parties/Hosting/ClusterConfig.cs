using System.Text.Json;
using System.Text.Json.Serialization;

namespace PrivateInference.Parties.Hosting;

/// <summary>Where one compute party listens.</summary>
public sealed record PartyAddress(int Id, string Host, int Port)
{
    [JsonIgnore]
    public Uri Uri => new($"http://{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}");
}

/// <summary>
/// The cluster file (<c>cluster.json</c>): which parties exist and where they listen. In <c>2pc</c> the
/// party with id 2 is the dealer. Example:
/// <code>{ "cluster_id": "local-3pc", "scheme": "3pc",
///   "parties": [ { "id": 0, "host": "127.0.0.1", "port": 50100 }, ... ] }</code>
/// </summary>
public sealed record ClusterConfig(string ClusterId, string Scheme, IReadOnlyList<PartyAddress> Parties)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

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
            return config.Validated();
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
        return this with { ClusterId = ClusterId ?? "", Parties = Parties.OrderBy(p => p.Id).ToArray() };
    }
}

/// <summary>A cluster file that is missing, unreadable or inconsistent; the message is meant for the user.</summary>
public sealed class ClusterConfigException(string message) : Exception(message);
