using PrivateInference.Engine.Models;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The private version of the MPCache policies (full, static, dynamic, mpcache), reading the same
/// <see cref="CachePolicyOptions"/> and <see cref="CacheBudgets"/> as <see cref="PlainCachePolicy"/> and choosing the
/// same tokens: which tokens are kept stays secret (masks and one-hot gathers on shares), only the public budgets and
/// sizes are known to the parties. The per-token top-k and H2O baselines exist in plaintext only.
/// </summary>
public sealed class PrivateCachePolicy
{
    // Added to scores that must win (the first and last clusters) and subtracted from clusters that may not compete;
    // far above any attention-bound score, far below the ring's limits after the rank key multiplies by n.
    private const double Forced = 4096, Excluded = 1024;

    private readonly MpcContext _ctx;
    private readonly LlamaConfig _c;
    private readonly CachePolicyOptions _o;
    private readonly int _prompt;
    private readonly SecretTensor?[] _childMax, _childMin;   // [layer]: bounds of complete child clusters [kvh, count, hs]
    private readonly int[] _childDone;
    private readonly Selection?[] _selections;               // [layer]: this step's selection, for the layers that share it
    private int _step;

    /// <summary>A step's choice of child clusters; a null one-hot means all of them (decided publicly).</summary>
    private sealed record Selection(int Step, SecretTensor? OneHot, int Children, int ValidTokens);

    public PrivateCachePolicy(MpcContext ctx, LlamaConfig config, CachePolicyOptions options, int promptLength)
    {
        if (options.Kind is CachePolicyKind.TopK or CachePolicyKind.H2O)
            throw new InputException($"the {options.Kind.ToString().ToLowerInvariant()} baseline runs in plaintext only (pi eval cache)");
        _ctx = ctx;
        _c = config;
        _o = options;
        _prompt = promptLength;
        _childMax = new SecretTensor?[config.Layers];
        _childMin = new SecretTensor?[config.Layers];
        _childDone = new int[config.Layers];
        _selections = new Selection?[config.Layers];
    }

    public int PromptLength => _prompt;

    /// <summary>Look-once static eviction at the end of the private prefill: scores each prompt token by the attention
    /// the window's queries give it (summed over heads and queries; the plaintext averages, which ranks the same),
    /// keeps the public budget, and compacts keys and values [kvh, P, hs] in position order.</summary>
    public (SecretTensor Keys, SecretTensor Values) AfterPrefill(SecretTensor probs, SecretTensor keys, SecretTensor values)
    {
        if (!_o.UsesStaticEviction) return (keys, values);
        using var scope = _ctx.Scope("static_eviction");
        int p = _prompt, w = CacheBudgets.ObservationQueries(_o, p), budget = CacheBudgets.StaticKept(_o, p), h = _c.Heads;
        if (budget >= p) return (keys, values);
        var window = _ctx.Slice(_ctx.Reshape(probs, h, p, p), 1, p - w, w);           // [H, W, P]
        var score = _ctx.Sum(_ctx.Transpose(_ctx.Reshape(window, h * w, p)));          // [P]
        var oneHot = SecretSelection.Compact(_ctx, SecretSelection.TopKMask(_ctx, _ctx.Reshape(score, 1, p), budget), budget);
        return GatherTokens(_ctx.Reshape(oneHot, budget, p), keys, values);
    }

    /// <summary>The tokens a decode step attends to: keys and values [kvh, m, hs] and how many of the m are real (the
    /// rest is padding at the end). <paramref name="queries"/> is [kvh, G, hs]; the cache [kvh, n, hs] holds the kept
    /// tokens and the new one.</summary>
    public (SecretTensor Keys, SecretTensor Values, int Valid) Select(int layer, SecretTensor queries, SecretTensor keys, SecretTensor values)
    {
        int n = keys.Shape[1];
        if (layer == 0) _step++;
        if (!_o.UsesDynamicSelection || CacheBudgets.SelectsEverything(_o, n)) return (keys, values, n);
        using var scope = _ctx.Scope("dynamic_selection");
        int child = _o.ChildClusterSize, children = CacheBudgets.Clusters(n, child);
        // Bounds are kept up to date in every layer (the next selection needs them), selection only where it is made.
        var bounds = UpdateBounds(layer, keys);
        int selector = CacheBudgets.SelectingLayer(_o, layer, _c.Layers);
        Selection selection;
        if (selector != layer && _selections[selector] is { } shared && shared.Step == _step)
            selection = shared;
        else
            selection = _selections[layer] = SelectChildren(queries, bounds, n, children);
        if (selection.OneHot is null) return (keys, values, n);
        var padded = Pad(keys, children * child);
        var paddedValues = Pad(values, children * child);
        var kv = _ctx.Concat([_ctx.Reshape(padded, _c.KvHeads, children, child * _c.HeadSize),
                              _ctx.Reshape(paddedValues, _c.KvHeads, children, child * _c.HeadSize)], 2);
        var picked = _ctx.MatMul(selection.OneHot, kv);                                 // [kvh, k2, 2·child·hs]
        int m = selection.Children * child;
        var k = _ctx.Reshape(_ctx.Slice(picked, 2, 0, child * _c.HeadSize), _c.KvHeads, m, _c.HeadSize);
        var v = _ctx.Reshape(_ctx.Slice(picked, 2, child * _c.HeadSize, child * _c.HeadSize), _c.KvHeads, m, _c.HeadSize);
        return (k, v, selection.ValidTokens);
    }

    /// <summary>Secret one-hot [kvh, k2, children] of the selected child clusters, as the plaintext
    /// <see cref="ClusterSelection.Select"/> would pick them (exposed for the equivalence test).</summary>
    internal SecretTensor SelectChildrenOneHot(int layer, SecretTensor queries, SecretTensor keys)
    {
        int n = keys.Shape[1];
        return SelectChildren(queries, UpdateBounds(layer, keys), n, CacheBudgets.Clusters(n, _o.ChildClusterSize)).OneHot
            ?? throw new InvalidOperationException("every cluster is kept at this length: nothing is selected");
    }

    private Selection SelectChildren(SecretTensor queries, (SecretTensor Max, SecretTensor Min) bounds, int n, int children)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize;
        // The bound is linear in q, so the group's queries are summed first.
        var q = _ctx.Reshape(_ctx.Sum(_ctx.Transpose(queries)), kvh, 1, hs);           // [kvh, 1, hs]
        var (childMax, childMin) = bounds;
        SecretTensor keep;
        int kept;
        if (!_o.Hierarchy)
        {
            kept = CacheBudgets.Level2Kept(_o, children, children);
            if (kept >= children) return new Selection(_step, null, children, n);
            var scores = Force(Scores(q, childMax, childMin), children);
            keep = SecretSelection.TopKMask(_ctx, scores, kept);
        }
        else
        {
            int per = _o.ClusterSize / _o.ChildClusterSize, parents = CacheBudgets.Clusters(n, _o.ClusterSize);
            var (parentMax, parentMin) = ParentBounds(childMax, childMin, per, parents, children);
            int k1 = CacheBudgets.Level1Kept(_o, parents);
            var candidatesPerParent = Enumerable.Range(0, parents).Select(pi => Math.Min(per, children - pi * per)).ToArray();
            SecretTensor? parentKeep = k1 < parents ? SecretSelection.TopKMask(_ctx, Force(Scores(q, parentMax, parentMin), parents), k1) : null;
            // Candidates: the children of kept parents; the last parent (always kept) may have fewer children.
            int candidates = k1 < parents ? (k1 - 1) * per + candidatesPerParent[^1] : children;
            kept = CacheBudgets.Level2Kept(_o, children, candidates);
            var childScores = Scores(q, childMax, childMin);                            // [kvh, children]
            if (parentKeep is not null)
            {
                // A child of a dropped parent scores −Excluded lower: it cannot beat any candidate.
                var expanded = _ctx.Slice(_ctx.Reshape(_ctx.Concat(Enumerable.Repeat(_ctx.Reshape(parentKeep, kvh, parents, 1), per).ToArray(), 2),
                    kvh, parents * per), 1, 0, children);
                var penalty = _ctx.AddPublic(_ctx.MulPublicInt(_ctx.Rescale(expanded, childScores.Scale), (long)Excluded), -Excluded);
                childScores = _ctx.Add(childScores, penalty);
            }
            if (kept >= children) return new Selection(_step, null, children, n);
            keep = SecretSelection.TopKMask(_ctx, Force(childScores, children), kept);
        }
        var oneHot = SecretSelection.Compact(_ctx, keep, kept);                           // [kvh, kept, children]
        int lastChildTokens = n - (children - 1) * _o.ChildClusterSize;
        return new Selection(_step, oneHot, kept, kept * _o.ChildClusterSize - (_o.ChildClusterSize - lastChildTokens));
    }

    /// <summary>q·(a·max + (1−a)·min) per cluster: [kvh, clusters].</summary>
    private SecretTensor Scores(SecretTensor q, SecretTensor max, SecretTensor min)
    {
        var bound = _ctx.Add(_ctx.MulPublic(max, _o.Alpha), _ctx.MulPublic(min, 1 - _o.Alpha));  // [kvh, clusters, hs]
        var s = _ctx.MatMul(q, _ctx.Transpose(bound));                                           // [kvh, 1, clusters]
        return _ctx.Reshape(s, _c.KvHeads, bound.Shape[1]);
    }

    /// <summary>The first and last clusters are always kept (their ids are public).</summary>
    private SecretTensor Force(SecretTensor scores, int clusters)
    {
        var add = new double[clusters];
        add[0] = Forced;
        add[clusters - 1] = Forced;
        return _ctx.AddPublic(scores, add, [1, clusters]);
    }

    /// <summary>Per-channel max and min of every child cluster of the cache [kvh, children, hs]. Bounds of complete
    /// clusters are kept between steps; only the clusters that changed since (the newest) are computed, as in
    /// <see cref="ClusterBounds"/>.</summary>
    private (SecretTensor Max, SecretTensor Min) UpdateBounds(int layer, SecretTensor keys)
    {
        int n = keys.Shape[1], child = _o.ChildClusterSize, kvh = _c.KvHeads, hs = _c.HeadSize;
        int children = CacheBudgets.Clusters(n, child), done = _childDone[layer], fresh = children - done;
        var tail = Pad(_ctx.Slice(keys, 1, done * child, n - done * child), fresh * child);            // [kvh, fresh·child, hs]
        var grouped = _ctx.Transpose(_ctx.Reshape(tail, kvh * fresh, child, hs));                      // [kvh·fresh, hs, child]
        var both = _ctx.Max(_ctx.Concat([grouped, _ctx.Neg(grouped)], 0));                              // max, and −min
        var max = _ctx.Reshape(_ctx.Slice(both, 0, 0, kvh * fresh), kvh, fresh, hs);
        var min = _ctx.Neg(_ctx.Reshape(_ctx.Slice(both, 0, kvh * fresh, kvh * fresh), kvh, fresh, hs));
        var allMax = done > 0 ? _ctx.Concat([_childMax[layer]!, max], 1) : max;
        var allMin = done > 0 ? _ctx.Concat([_childMin[layer]!, min], 1) : min;
        // A partial last cluster changes with the next token, so only complete ones are kept.
        int complete = n / child;
        if (complete > 0)
        {
            _childMax[layer] = _ctx.Slice(allMax, 1, 0, complete);
            _childMin[layer] = _ctx.Slice(allMin, 1, 0, complete);
        }
        _childDone[layer] = complete;
        return (allMax, allMin);
    }

    private (SecretTensor Max, SecretTensor Min) ParentBounds(SecretTensor childMax, SecretTensor childMin, int per, int parents, int children)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize;
        var pmx = Pad(childMax, parents * per);
        var pmn = Pad(childMin, parents * per);
        var g = _ctx.Concat([_ctx.Transpose(_ctx.Reshape(pmx, kvh * parents, per, hs)), _ctx.Neg(_ctx.Transpose(_ctx.Reshape(pmn, kvh * parents, per, hs)))], 0);
        var m = _ctx.Max(g);                                                                            // [2·kvh·parents, hs]
        return (_ctx.Reshape(_ctx.Slice(m, 0, 0, kvh * parents), kvh, parents, hs),
                _ctx.Neg(_ctx.Reshape(_ctx.Slice(m, 0, kvh * parents, kvh * parents), kvh, parents, hs)));
    }

    /// <summary>Pads axis 1 to <paramref name="length"/> by repeating its last entry (min/max unaffected; the padded
    /// tokens are excluded from attention by the public valid count).</summary>
    private SecretTensor Pad(SecretTensor x, int length)
    {
        int have = x.Shape[1];
        if (have == length) return x;
        var last = _ctx.Slice(x, 1, have - 1, 1);
        return _ctx.Concat([x, .. Enumerable.Repeat(last, length - have)], 1);
    }

    /// <summary>One-hot [m, P] applied to every KV head's keys and values [kvh, P, hs] in one product.</summary>
    private (SecretTensor Keys, SecretTensor Values) GatherTokens(SecretTensor oneHot, SecretTensor keys, SecretTensor values)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize, p = keys.Shape[1], m = oneHot.Shape[0];
        SecretTensor Rows(SecretTensor x) => _ctx.Transpose(_ctx.Reshape(_ctx.Transpose(x), kvh * hs, p));   // [P, kvh·hs]
        var picked = _ctx.MatMul(oneHot, _ctx.Concat([Rows(keys), Rows(values)], 1));                    // [m, 2·kvh·hs]
        SecretTensor Heads(SecretTensor x) => _ctx.Transpose(_ctx.Reshape(_ctx.Transpose(x), kvh, hs, m));   // [kvh, m, hs]
        return (Heads(_ctx.Slice(picked, 1, 0, kvh * hs)), Heads(_ctx.Slice(picked, 1, kvh * hs, kvh * hs)));
    }
}
