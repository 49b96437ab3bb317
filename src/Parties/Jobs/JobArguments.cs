using PrivateInference.Parties.Protos;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// What a client asks of a job, as it travels in <c>OpenSessionRequest</c>: named public arguments (session terms,
/// sizes, settings) and, for the private jobs, the model's public shape as a typed message. Nothing secret.
/// </summary>
public sealed class JobArguments
{
    public JobArguments(IReadOnlyDictionary<string, string>? values = null, ModelShape? model = null)
    {
        Values = values is null ? [] : new Dictionary<string, string>(values);
        Model = model;
    }

    /// <summary>The named arguments.</summary>
    public Dictionary<string, string> Values { get; }

    /// <summary>The model's shape (null for jobs that run no model).</summary>
    public ModelShape? Model { get; set; }

    public string this[string name]
    {
        get => Values[name];
        set => Values[name] = value;
    }

    /// <summary>Named arguments alone (jobs that run no model).</summary>
    public static implicit operator JobArguments(Dictionary<string, string> values) => new(values);
}
