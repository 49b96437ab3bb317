using System.Globalization;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// What every endpoint of a private session must agree on before any share moves: the model (a hash of its public
/// shape, see <see cref="PrivateJobArguments.ModelHash(Engine.Models.LlamaConfig, Engine.Private.NonlinearDomains)"/>), the sharing scheme, the
/// fixed-point fractional bits and the cache policy. The client proposes them in the session's arguments; every
/// party checks them against its cluster and against what its operator pinned (<c>pi party --model-hash</c> ...)
/// when the session is opened, so a mismatch refuses the session before it exists anywhere; the model owner checks
/// the hash against the weights it holds before sharing any. Null fields accept any proposal.
/// </summary>
public sealed record SessionTerms(string? ModelHash = null, int? FracBits = null, string? CachePolicy = null)
{
    public const string ModelHashArgument = "model_hash";
    public const string SchemeArgument = "scheme";
    public const string FracBitsArgument = "frac_bits";
    public const string CachePolicyArgument = "cache_policy";

    /// <summary>The private engine keeps every position's keys and values as shares; no eviction or compression yet.</summary>
    public const string FullCache = "full";

    /// <summary>Whether <paramref name="spec"/> names a policy the private engine runs.</summary>
    public static bool IsPrivatePolicy(string spec)
    {
        try
        {
            return Engine.CachePolicies.CachePolicyOptions.Parse(spec).RunsPrivately;
        }
        catch (Engine.InputException)
        {
            return false;
        }
    }

    public static SessionTerms Any { get; } = new();

    /// <summary>Throws <see cref="SessionTermsException"/> naming the first field that disagrees, or
    /// <see cref="ArgumentException"/> when a field is missing or malformed.</summary>
    public void Check(IReadOnlyDictionary<string, string> arguments, ClusterConfig cluster)
    {
        var scheme = Required(arguments, SchemeArgument);
        if (scheme != cluster.Scheme)
            throw Mismatch(SchemeArgument, scheme, $"{cluster.Scheme} (the cluster's scheme)");

        var model = CertificateFingerprint.Normalize(Required(arguments, ModelHashArgument))
            ?? throw new ArgumentException($"job argument '{ModelHashArgument}' must be 64 hex digits (a SHA-256)");
        if (ModelHash is not null && model != ModelHash)
            throw Mismatch(ModelHashArgument, model, ModelHash);

        var bitsText = Required(arguments, FracBitsArgument);
        if (!int.TryParse(bitsText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bits) || bits is < 8 or > 24)
            throw new ArgumentException($"job argument '{FracBitsArgument}' must be an integer in 8..24, not '{Clip(bitsText)}'");
        if (FracBits is { } expectedBits && bits != expectedBits)
            throw Mismatch(FracBitsArgument, bitsText, expectedBits.ToString(CultureInfo.InvariantCulture));

        var cache = Required(arguments, CachePolicyArgument);
        if (!IsPrivatePolicy(cache))
            throw Mismatch(CachePolicyArgument, Clip(cache), "full, mpcache, static, dynamic or topk, with valid options (what the private engine implements)");
        if (CachePolicy is not null && cache != CachePolicy)
            throw Mismatch(CachePolicyArgument, cache, CachePolicy);
    }

    private static string Required(IReadOnlyDictionary<string, string> arguments, string name) =>
        arguments.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new ArgumentException($"job argument '{name}' is missing: a private session must name its {name}");

    private static SessionTermsException Mismatch(string field, string proposed, string required) =>
        new(field, $"session terms disagree on {field}: the client proposes {proposed}, this party requires {required}");

    /// <summary>Echoing client input into an error is fine (it is public), but not unboundedly.</summary>
    internal static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";
}

/// <summary>The client's proposed session terms differ from what a party or the model owner requires.</summary>
public sealed class SessionTermsException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// A job that checks its arguments when a session is opened: a bad request is then refused with a status before the
/// session exists, instead of failing every endpoint after it started.
/// </summary>
public interface IValidatingPartyJob : IPartyJob
{
    /// <summary>Throws <see cref="ArgumentException"/> for malformed arguments, <see cref="SessionTermsException"/>
    /// when the session terms differ from <paramref name="expected"/>.</summary>
    /// <param name="store">This party's weight shares at rest, when it keeps any (`pi party --store`).</param>
    void ValidateOpen(JobArguments arguments, ClusterConfig cluster, IReadOnlyCollection<int> externalEndpoints,
        SessionTerms expected, Storage.ShareStore? store);
}
