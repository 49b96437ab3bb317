using PrivateInference.Parties.Protos;


namespace PrivateInference.Parties.Jobs;

/// <summary>One endpoint's outcome of a job, as the client sees it.</summary>
public sealed record PartyJobResult(int PartyId, bool Ok, string? Error, double ElapsedMs, IReadOnlyDictionary<string, string> Values)
{
    /// <summary>A private job's typed figures, when the endpoint sent them.</summary>
    public PrivateRunStats? PrivateRun { get; init; }

    internal static PartyJobResult From(JobResult reply) => new(
        reply.PartyId, reply.Ok, reply.Ok ? null : reply.Error, reply.ElapsedMs, new Dictionary<string, string>(reply.Values))
    {
        PrivateRun = reply.PrivateRun,
    };

    internal static PartyJobResult Unreachable(int partyId, string error) =>
        new(partyId, false, error, 0, new Dictionary<string, string>());
}

/// <summary>Every endpoint's outcome of one job run: the parties', and the client's and model owner's when they took part.</summary>
public sealed record JobOutcome(
    string SessionId, IReadOnlyList<PartyJobResult> Parties, PartyJobResult? Client = null, PartyJobResult? ModelOwner = null)
{
    public IEnumerable<PartyJobResult> All =>
        Parties.Concat(new[] { Client, ModelOwner }.OfType<PartyJobResult>());

    public bool Ok => All.All(r => r.Ok);

    /// <summary>Throws <see cref="JobFailedException"/> naming every endpoint that failed.</summary>
    public JobOutcome EnsureSuccess() => Ok
        ? this
        : throw new JobFailedException(
            $"session '{SessionId}' failed: {string.Join("; ", All.Where(r => !r.Ok).Select(r => r.Error))}");
}

/// <summary>A job failed at one or more endpoints; the message is meant for the user.</summary>
public sealed class JobFailedException(string message) : Exception(message);
