
namespace PrivateInference.Parties.Jobs;

/// <summary>The jobs a party process can run, by name.</summary>
public sealed class PartyJobRegistry
{
    private readonly Dictionary<string, IPartyJob> _jobs = new(StringComparer.Ordinal);

    public IEnumerable<IPartyJob> Jobs => _jobs.Values.OrderBy(j => j.Name, StringComparer.Ordinal);

    public PartyJobRegistry Register(IPartyJob job)
    {
        if (!_jobs.TryAdd(job.Name, job))
            throw new InvalidOperationException($"a job named '{job.Name}' is already registered");
        return this;
    }

    public bool TryGet(string name, out IPartyJob job) => _jobs.TryGetValue(name, out job!);

    public IPartyJob Get(string name) => TryGet(name, out var job)
        ? job
        : throw new KeyNotFoundException($"unknown job '{name}'; known jobs: {string.Join(", ", _jobs.Keys.Order())}");
}
