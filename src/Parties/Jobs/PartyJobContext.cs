using System.Globalization;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Jobs;

/// <summary>What one endpoint's part of a job gets: who it is, how to reach the others, and the job's arguments.</summary>
public sealed class PartyJobContext
{
    public required int PartyId { get; init; }

    public required string SessionId { get; init; }

    public required ClusterConfig Cluster { get; init; }

    /// <summary>This session's transport, already wrapped in the network emulation if one was asked for.</summary>
    public required ITransport Transport { get; init; }

    /// <summary>Every endpoint of the session, this one included: the parties plus the client/owner if they take part.</summary>
    public required IReadOnlyList<int> Endpoints { get; init; }

    public required IReadOnlyDictionary<string, string> Arguments { get; init; }

    /// <summary>The model's public shape, for the private jobs (null for jobs that run no model).</summary>
    public Protos.ModelShape? Model { get; init; }

    public required NetworkProfile Network { get; init; }

    public required ILogger Log { get; init; }

    public CancellationToken Cancellation { get; init; }

    /// <summary>The party's weight shares at rest (null at the client and owner, and at parties that keep none).</summary>
    public Storage.ShareStore? Store { get; init; }

    /// <summary>Named results sent back to the client (sizes, timings, digests: nothing secret).</summary>
    public IDictionary<string, string> Results { get; } = new Dictionary<string, string>();

    /// <summary>A private job's figures at this endpoint, sent back typed (sizes, counts and times only).</summary>
    public Protos.PrivateRunStats? PrivateRun { get; set; }

    public IEnumerable<int> Peers => Endpoints.Where(e => e != PartyId);

    public string Scheme => Cluster.Scheme;

    public string Argument(string name, string fallback) => Arguments.GetValueOrDefault(name) ?? fallback;

    public long LongArgument(string name, long fallback)
    {
        if (!Arguments.TryGetValue(name, out var text))
            return fallback;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"job argument '{name}' must be an integer, not '{text}'");
    }
}
