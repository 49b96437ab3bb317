using System.Globalization;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>Which attention-cache policy a run uses (`--cache`).</summary>
public enum CachePolicyKind
{
    /// <summary>Attend over every cached token.</summary>
    Full,
    /// <summary>MPCache: look-once static eviction, then clustered query-aware dynamic selection.</summary>
    MpCache,
    /// <summary>Static eviction only.</summary>
    Static,
    /// <summary>Dynamic selection only (no static eviction).</summary>
    Dynamic,
    /// <summary>Baseline: per-token top-k of q·k every step, no clusters.</summary>
    TopK,
    /// <summary>Baseline: H2O-style eviction by accumulated attention scores, heavy hitters plus a recent window.</summary>
    H2O,
}

/// <summary>How a public number of clusters is chosen among the candidates.</summary>
public enum SelectionMethod
{
    /// <summary>Approximate top-k by bucket tournaments (<see cref="TournamentTopK"/>): about one comparison per
    /// candidate, rounds growing with log(candidates / kept).</summary>
    Tournament,
    /// <summary>Exact top-k by ranks: every pair of candidates compared (n(n−1)/2), in two comparison rounds.</summary>
    Rank,
}

/// <summary>
/// The one description of a cache policy that both implementations read: the plaintext simulation (accuracy) and the
/// private version (cost). Every ratio, size, the bound weight a and the sharing schedule are here; budgets derived
/// from them are public (<see cref="CacheBudgets"/>), which tokens are kept is not.
/// </summary>
public sealed record CachePolicyOptions
{
    public CachePolicyKind Kind { get; init; } = CachePolicyKind.Full;

    /// <summary>The text this was parsed from (how it is named in reports and passed to party processes).</summary>
    public string Spec { get; init; } = "full";

    /// <summary>Fraction of the prompt's queries (its last ones) whose attention scores the static eviction.</summary>
    public double ObservationWindow { get; init; } = 0.2;
    /// <summary>Fraction of the prompt kept by static eviction (a public budget). 0.3 lies in the paper's 15–50% and,
    /// with level 2's 20%, attends about 6% of a long context, the paper's 3–6%; short prompts are protected by
    /// <see cref="MinTokens"/>.</summary>
    public double StaticKeep { get; init; } = 0.3;
    /// <summary>Static eviction by threshold (the paper's rule) on top of the ratio: of the public number of prompt
    /// slots the ratio keeps (<see cref="StaticKeep"/> and <see cref="MinTokens"/>, chosen by the same top-k), the
    /// ones whose attention averaged over heads and the window's queries is below this are masked out of every later
    /// attention; on shares which slots pass, and how many, stays secret (a validity bit per slot). Null: the ratio
    /// alone. Give keep=1 for the paper's rule with no cap below the prompt.</summary>
    public double? StaticThreshold { get; init; }
    /// <summary>Level-1 cluster size (tokens).</summary>
    public int ClusterSize { get; init; } = 32;
    /// <summary>Level-2 (child) cluster size; must divide <see cref="ClusterSize"/>.</summary>
    public int ChildClusterSize { get; init; } = 16;
    /// <summary>Fraction of level-1 clusters kept.</summary>
    public double Level1Keep { get; init; } = 0.5;
    /// <summary>Fraction of all child clusters kept at level 2.</summary>
    public double Level2Keep { get; init; } = 0.2;
    /// <summary>Weight of the per-channel max in the linearized bound q·(a·max + (1−a)·min).</summary>
    public double Alpha { get; init; } = 0.6;
    /// <summary>The tournament selection's integer weights (A, B) of q·max and q·min: the fraction A/(A + B) nearest to
    /// a with A + B ≤ <see cref="MaxWeightSum"/> (the smaller sum on a tie; 0.6 is 3/5 exactly). Integers need no
    /// truncation on shares, so the scores cost the product alone; the plaintext simulation uses the same fraction.</summary>
    public (int Max, int Min) AlphaWeights
    {
        get
        {
            (int, int) best = (0, 1);
            double err = double.MaxValue;
            for (int sum = 1; sum <= MaxWeightSum; sum++)
            {
                int a = (int)Math.Round(Alpha * sum);
                double e = Math.Abs(a / (double)sum - Alpha);
                if (e < err - 1e-12) (best, err) = ((a, sum - a), e);
            }
            return best;
        }
    }

    /// <summary>The largest A + B of <see cref="AlphaWeights"/>: the weighted scores stay below 16 times the attention
    /// scores' domain, so the tournament's keys fit the ring at 2f.</summary>
    public const int MaxWeightSum = 16;

    /// <summary>a as the tournament selection uses it: A / (A + B) of <see cref="AlphaWeights"/>.</summary>
    public double SelectionAlpha => AlphaWeights.Max / (double)(AlphaWeights.Max + AlphaWeights.Min);
    /// <summary>Level 2 on (false: keep level-1 clusters directly, same token budget).</summary>
    public bool Hierarchy { get; init; } = true;
    /// <summary>Middle layers share one selection per pair (false: every layer selects for itself).</summary>
    public bool IndexSharing { get; init; } = true;
    /// <summary>Layers at each end that always select for themselves.</summary>
    public int SelfSelectingEdgeLayers { get; init; } = 2;
    /// <summary>Public floor on the tokens attended, in tokens: static eviction keeps at least this many prompt tokens
    /// and level 2 at least this many tokens' worth of child clusters (level 1 enough parents to hold them), so a short
    /// sequence is not starved; at long contexts the ratios dominate. 0: the ratios alone.</summary>
    public int MinTokens { get; init; } = 128;
    /// <summary>How dynamic selection picks its clusters at each level.</summary>
    public SelectionMethod Selection { get; init; } = SelectionMethod.Tournament;
    /// <summary>Top-k and H2O baselines: fraction of the cache attended.</summary>
    public double BaselineKeep { get; init; } = 0.2;
    /// <summary>H2O: fraction of the baseline budget reserved for the most recent tokens.</summary>
    public double H2ORecentShare { get; init; } = 0.5;

    /// <summary>Whether the private engine runs this policy (every one but the plaintext-only H2O baseline, and a
    /// per-token top-k only by tournament).</summary>
    public bool RunsPrivately => Kind != CachePolicyKind.H2O && !(Kind == CachePolicyKind.TopK && Selection == SelectionMethod.Rank);

    public bool UsesStaticEviction => Kind is CachePolicyKind.MpCache or CachePolicyKind.Static;
    public bool UsesDynamicSelection => Kind is CachePolicyKind.MpCache or CachePolicyKind.Dynamic;

    /// <summary>Parses `full`, `mpcache`, `static`, `dynamic`, `topk`, `h2o`, optionally with `:key=value,...`
    /// overrides (keys: keep, threshold, window, cluster, child, l1, l2, alpha, hierarchy, sharing, baseline, min,
    /// select).</summary>
    public static CachePolicyOptions Parse(string spec)
    {
        var (name, args) = spec.IndexOf(':') is int i and >= 0 ? (spec[..i], spec[(i + 1)..]) : (spec, "");
        var options = new CachePolicyOptions
        {
            Spec = spec.Trim(),
            Kind = name.Trim().ToLowerInvariant() switch
            {
                "full" => CachePolicyKind.Full,
                "mpcache" => CachePolicyKind.MpCache,
                "static" => CachePolicyKind.Static,
                "dynamic" => CachePolicyKind.Dynamic,
                "topk" => CachePolicyKind.TopK,
                "h2o" => CachePolicyKind.H2O,
                _ => throw new InputException($"unknown cache policy '{name}'; known: full, mpcache, static, dynamic, topk, h2o"),
            },
        };
        foreach (var part in args.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2) throw new InputException($"cache policy option '{part}' is not key=value");
            string key = kv[0].Trim(), value = kv[1].Trim();
            options = key switch
            {
                "keep" => options with { StaticKeep = Fraction(key, value) },
                "threshold" => options with { StaticThreshold = Fraction(key, value) },
                "window" => options with { ObservationWindow = Fraction(key, value) },
                "cluster" => options with { ClusterSize = Count(key, value) },
                "child" => options with { ChildClusterSize = Count(key, value) },
                "l1" => options with { Level1Keep = Fraction(key, value) },
                "l2" => options with { Level2Keep = Fraction(key, value) },
                "alpha" => options with { Alpha = Fraction(key, value) },
                "hierarchy" => options with { Hierarchy = Flag(key, value) },
                "sharing" => options with { IndexSharing = Flag(key, value) },
                "baseline" => options with { BaselineKeep = Fraction(key, value) },
                "min" => options with { MinTokens = Count(key, value, allowZero: true) },
                "select" => options with { Selection = value switch
                {
                    "tournament" => SelectionMethod.Tournament,
                    "rank" => SelectionMethod.Rank,
                    _ => throw new InputException($"cache policy option select must be tournament or rank, got '{value}'"),
                } },
                _ => throw new InputException($"unknown cache policy option '{key}'"),
            };
        }
        options.Validate();
        return options;
    }

    /// <summary>Several specs: separated by ';' (needed when a spec has options, e.g. "full;mpcache:keep=0.8,l2=0.5"),
    /// or by ',' when none has options ("full,mpcache").</summary>
    public static List<CachePolicyOptions> ParseList(string specs) =>
        specs.Split(specs.Contains(';') || specs.Contains(':') ? ';' : ',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Parse).ToList() is { Count: > 0 } list ? list : throw new InputException("no cache policy given");

    public void Validate()
    {
        if (StaticThreshold is not null && !UsesStaticEviction)
            throw new InputException($"cache policy option threshold is for static eviction (mpcache, static), not {Kind.ToString().ToLowerInvariant()}");
        if (ClusterSize < 1 || ChildClusterSize < 1 || ClusterSize % ChildClusterSize != 0)
            throw new InputException($"cluster size {ClusterSize} must be a positive multiple of the child size {ChildClusterSize}");
    }

    public override string ToString() => Kind switch
    {
        CachePolicyKind.Full => "full",
        CachePolicyKind.TopK => $"topk(keep {BaselineKeep})",
        CachePolicyKind.H2O => $"h2o(keep {BaselineKeep})",
        _ => $"{Kind.ToString().ToLowerInvariant()}(static {StaticKeep} of prompt{(StaticThreshold is { } t ? $", those below attention {t} masked" : "")}, window {ObservationWindow}, clusters {ClusterSize}/{ChildClusterSize}, " +
             $"l1 {Level1Keep}, l2 {Level2Keep}, a {Alpha}, at least {MinTokens} tokens, {Selection.ToString().ToLowerInvariant()} selection{(Hierarchy ? "" : ", no hierarchy")}{(IndexSharing ? "" : ", no index sharing")})",
    };

    private static double Fraction(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v <= 1
            ? v : throw new InputException($"cache policy option {key} must be a number in (0, 1], got '{value}'");

    private static int Count(string key, string value, bool allowZero = false) =>
        int.TryParse(value, out var v) && (v > 0 || allowZero && v == 0) && v <= 1 << 20
            ? v : throw new InputException($"cache policy option {key} must be a{(allowZero ? " non-negative" : " positive")} integer up to 2^20, got '{value}'");

    private static bool Flag(string key, string value) => value switch
    {
        "on" or "true" or "1" => true,
        "off" or "false" or "0" => false,
        _ => throw new InputException($"cache policy option {key} must be on or off, got '{value}'"),
    };
}
