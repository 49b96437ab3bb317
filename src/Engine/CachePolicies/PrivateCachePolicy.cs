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
    private readonly SecretTensor?[] _childMax, _childMin;   // [layer]: bounds of every child cluster [kvh, children, hs]
    private readonly SecretTensor?[] _parentMax, _parentMin; // [layer]: bounds of every parent cluster [kvh, parents, hs]
    private readonly int[] _boundsLength;                    // [layer]: cache length the bounds describe
    private readonly Selection?[] _selections;               // [layer]: this step's selection, for the layers that share it
    private int _step;

    /// <summary>A step's choice of child clusters; a null one-hot means all of them (decided publicly).</summary>
    private sealed record Selection(int Step, SecretTensor? OneHot);

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
        _parentMax = new SecretTensor?[config.Layers];
        _parentMin = new SecretTensor?[config.Layers];
        _boundsLength = new int[config.Layers];
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

    /// <summary>The child clusters a decode step attends to (null: all of them, decided publicly). <paramref name="queries"/>
    /// is [kvh, G, hs]; the cache [kvh, n, hs] holds the kept tokens and the new one.</summary>
    public SelectedClusters? Select(int layer, SecretTensor queries, SecretTensor keys)
    {
        int n = keys.Shape[1];
        if (layer == 0) _step++;
        if (!_o.UsesDynamicSelection || CacheBudgets.SelectsEverything(_o, n)) return null;
        using var scope = _ctx.Scope("dynamic_selection");
        int children = CacheBudgets.Clusters(n, _o.ChildClusterSize);
        // Bounds are kept up to date in every layer (the next selection needs them), selection only where it is made.
        var bounds = UpdateBounds(layer, keys);
        int selector = CacheBudgets.SelectingLayer(_o, layer, _c.Layers);
        Selection selection;
        if (selector != layer && _selections[selector] is { } shared && shared.Step == _step)
            selection = shared;
        else
            selection = _selections[layer] = new Selection(_step, SelectChildren(layer, queries, bounds, n, children));
        return selection.OneHot is null ? null : new SelectedClusters(selection.OneHot, _o.ChildClusterSize, n);
    }

    /// <summary>Secret one-hot [kvh, k2, children] of the selected child clusters, in the order the attention uses
    /// (the last child first), as the plaintext <see cref="ClusterSelection.Select"/> would pick them (exposed for the
    /// equivalence test).</summary>
    internal SecretTensor SelectChildrenOneHot(int layer, SecretTensor queries, SecretTensor keys)
    {
        int n = keys.Shape[1];
        return SelectChildren(layer, queries, UpdateBounds(layer, keys), n, CacheBudgets.Clusters(n, _o.ChildClusterSize))
            ?? throw new InvalidOperationException("every cluster is kept at this length: nothing is selected");
    }

    /// <summary>The selected children's one-hot [kvh, k2, children] in rank order, or null when every child is kept.
    /// The last child outranks everything by 2·<see cref="Forced"/> and the first by <see cref="Forced"/>, so the
    /// last child is row 0 (its padding is at public positions) and both are always kept, as in the plaintext.</summary>
    private SecretTensor? SelectChildren(int layer, SecretTensor queries, (SecretTensor Max, SecretTensor Min) bounds, int n, int children)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize;
        // The bound is linear in q, so the group's queries are summed first.
        var q = _ctx.Reshape(_ctx.Sum(_ctx.Transpose(queries)), kvh, 1, hs);           // [kvh, 1, hs]
        var (childMax, childMin) = bounds;
        if (!_o.Hierarchy)
        {
            int flat = CacheBudgets.Level2Kept(_o, children, children);
            if (flat >= children) return null;
            return SecretSelection.TopKOneHot(_ctx, Force(Scores(q, childMax, childMin), children), flat);
        }

        int per = _o.ClusterSize / _o.ChildClusterSize, parents = CacheBudgets.Clusters(n, _o.ClusterSize);
        int k1 = CacheBudgets.Level1Kept(_o, parents);
        int lastParentChildren = children - (parents - 1) * per;
        int candidates = k1 < parents ? (k1 - 1) * per + lastParentChildren : children;
        int k2 = CacheBudgets.Level2Kept(_o, children, candidates);
        if (k1 >= parents && k2 >= children) return null;

        var childScores = Scores(q, childMax, childMin);                                 // [kvh, children]
        if (k1 >= parents)
            return SecretSelection.TopKOneHot(_ctx, Force(childScores, children), k2);

        // Level 1: the best parents, the last one first and the first one second; their children, in child order, are
        // the candidates of level 2: slot b·per + j is child j of the parent of rank b.
        var (parentMax, parentMin) = ParentBounds(layer, childMax, childMin, per, parents, children);
        var parentPick = SecretSelection.TopKOneHot(_ctx, Force(Scores(q, parentMax, parentMin), parents), k1);  // [kvh, k1, parents]
        // Children laid out by parent [kvh, parents, per]; the last parent's missing children are padding.
        var byParent = _ctx.Reshape(Pad(_ctx.Reshape(childScores, kvh, children, 1), parents * per), kvh, parents, per);
        var candidateScores = _ctx.Reshape(_ctx.MatMul(parentPick, byParent), kvh, k1 * per);
        // Level 2: the first child (slot per) and the last (slot lastParentChildren − 1) always win; the padding slots
        // after the last child never do.
        int slots = k1 * per;
        var adjust = new double[slots];
        adjust[per] = Forced;
        adjust[lastParentChildren - 1] = 2 * Forced;
        for (int j = lastParentChildren; j < per; j++) adjust[j] = -Excluded;
        var pick = SecretSelection.TopKOneHot(_ctx, _ctx.AddPublic(candidateScores, adjust, [1, slots]), k2);  // [kvh, k2, slots]
        return _ctx.MatMul(pick, ExpandToChildren(parentPick, k1, per, parents, children));                    // [kvh, k2, children]
    }

    /// <summary>From the parents' one-hot [kvh, k1, parents] to the candidates' one-hot over children
    /// [kvh, k1·per, children]: candidate (b, j) is child j of the b-th kept parent. Local: only zeros are inserted.</summary>
    private SecretTensor ExpandToChildren(SecretTensor parentPick, int k1, int per, int parents, int children)
    {
        int kvh = _c.KvHeads;
        var column = _ctx.Reshape(parentPick, kvh, k1, parents, 1);
        var zero = _ctx.MulPublicInt(column, 0);
        var rows = new SecretTensor[per];
        for (int j = 0; j < per; j++)
        {
            var slots = Enumerable.Range(0, per).Select(jj => jj == j ? column : zero).ToArray();
            var spread = _ctx.Reshape(_ctx.Concat(slots, 3), kvh, k1, parents * per);
            rows[j] = _ctx.Reshape(_ctx.Slice(spread, 2, 0, children), kvh, k1, 1, children);
        }
        return _ctx.Reshape(_ctx.Concat(rows, 2), kvh, k1 * per, children);
    }

    /// <summary>q·(a·max + (1−a)·min) per cluster: [kvh, clusters]. Linear in the bounds, so it is computed as
    /// a·(q·max) + (1−a)·(q·min): the products with public a then touch one value per cluster, not one per channel.</summary>
    private SecretTensor Scores(SecretTensor q, SecretTensor max, SecretTensor min)
    {
        int clusters = max.Shape[1];
        var both = _ctx.MatMul(q, _ctx.Transpose(_ctx.Concat([max, min], 1)));                 // [kvh, 1, 2·clusters]
        var weights = new double[2 * clusters];
        for (int i = 0; i < clusters; i++) { weights[i] = _o.Alpha; weights[clusters + i] = 1 - _o.Alpha; }
        var weighted = _ctx.MulPublic(both, weights, [1, 1, 2 * clusters]);
        return _ctx.Reshape(_ctx.Add(_ctx.Slice(weighted, 2, 0, clusters), _ctx.Slice(weighted, 2, clusters, clusters)), _c.KvHeads, clusters);
    }

    /// <summary>The first and last clusters are always kept (their ids are public), the last ranked first.</summary>
    private SecretTensor Force(SecretTensor scores, int clusters)
    {
        var add = new double[clusters];
        add[0] = Forced;
        add[clusters - 1] = 2 * Forced;
        return _ctx.AddPublic(scores, add, [1, clusters]);
    }

    /// <summary>Per-channel max and min of every child cluster of the cache [kvh, children, hs], kept up to date
    /// incrementally as in <see cref="ClusterBounds"/>: when the cache grew by one token only the newest cluster
    /// changes (one comparison per channel against the new key); otherwise every cluster is computed.</summary>
    private (SecretTensor Max, SecretTensor Min) UpdateBounds(int layer, SecretTensor keys)
    {
        int n = keys.Shape[1], child = _o.ChildClusterSize, kvh = _c.KvHeads, hs = _c.HeadSize;
        int children = CacheBudgets.Clusters(n, child);
        SecretTensor max, min;
        if (_childMax[layer] is { } oldMax && _boundsLength[layer] == n - 1)
        {
            var key = _ctx.Slice(keys, 1, n - 1, 1);                                                    // [kvh, 1, hs]
            if ((n - 1) % child == 0)
            {
                max = _ctx.Concat([oldMax, key], 1);
                min = _ctx.Concat([_childMin[layer]!, key], 1);
            }
            else
            {
                var (lastMax, lastMin) = MaxMin(_ctx.Concat([_ctx.Slice(oldMax, 1, children - 1, 1), key], 1),
                                                _ctx.Concat([_ctx.Slice(_childMin[layer]!, 1, children - 1, 1), key], 1));
                max = children > 1 ? _ctx.Concat([_ctx.Slice(oldMax, 1, 0, children - 1), lastMax], 1) : lastMax;
                min = children > 1 ? _ctx.Concat([_ctx.Slice(_childMin[layer]!, 1, 0, children - 1), lastMin], 1) : lastMin;
            }
        }
        else
        {
            var padded = Pad(keys, children * child);
            (max, min) = MaxMin(_ctx.Reshape(padded, kvh * children, child, hs), _ctx.Reshape(padded, kvh * children, child, hs));
            max = _ctx.Reshape(max, kvh, children, hs);
            min = _ctx.Reshape(min, kvh, children, hs);
        }
        _childMax[layer] = max;
        _childMin[layer] = min;
        _boundsLength[layer] = n;
        return (max, min);
    }

    /// <summary>Max of <paramref name="forMax"/> and min of <paramref name="forMin"/> over axis −2 ([..., m, hs] →
    /// [..., 1, hs]), both in one comparison tournament.</summary>
    private (SecretTensor Max, SecretTensor Min) MaxMin(SecretTensor forMax, SecretTensor forMin)
    {
        int rows = forMax.Length / (forMax.Shape[^2] * forMax.Shape[^1]), hs = forMax.Shape[^1];
        var shape = forMax.Shape[..^2].Append(1).Append(hs).ToArray();
        var both = _ctx.Max(_ctx.Concat([_ctx.Transpose(forMax), _ctx.Neg(_ctx.Transpose(forMin))], 0));  // [2·rows·hs]
        return (_ctx.Reshape(_ctx.Slice(_ctx.Reshape(both, 2 * rows * hs), 0, 0, rows * hs), shape),
                _ctx.Neg(_ctx.Reshape(_ctx.Slice(_ctx.Reshape(both, 2 * rows * hs), 0, rows * hs, rows * hs), shape)));
    }

    /// <summary>Parent bounds are the bounds of their children; only the last parent can have changed since the last
    /// step, so the others are kept.</summary>
    private (SecretTensor Max, SecretTensor Min) ParentBounds(int layer, SecretTensor childMax, SecretTensor childMin, int per, int parents, int children)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize;
        int first = (parents - 1) * per, count = children - first;
        var (lastMax, lastMin) = count == 1
            ? (_ctx.Slice(childMax, 1, first, 1), _ctx.Slice(childMin, 1, first, 1))
            : MaxMin(_ctx.Slice(childMax, 1, first, count), _ctx.Slice(childMin, 1, first, count));
        SecretTensor max = lastMax, min = lastMin;
        if (parents > 1)
        {
            var keptMax = _parentMax[layer] is { } pm && pm.Shape[1] >= parents - 1 ? _ctx.Slice(pm, 1, 0, parents - 1) : null;
            var keptMin = _parentMin[layer] is { } pn && pn.Shape[1] >= parents - 1 ? _ctx.Slice(pn, 1, 0, parents - 1) : null;
            if (keptMax is null || keptMin is null)
            {
                var (mx, mn) = MaxMin(_ctx.Reshape(_ctx.Slice(childMax, 1, 0, first), kvh * (parents - 1), per, hs),
                                      _ctx.Reshape(_ctx.Slice(childMin, 1, 0, first), kvh * (parents - 1), per, hs));
                keptMax = _ctx.Reshape(mx, kvh, parents - 1, hs);
                keptMin = _ctx.Reshape(mn, kvh, parents - 1, hs);
            }
            max = _ctx.Concat([keptMax, lastMax], 1);
            min = _ctx.Concat([keptMin, lastMin], 1);
        }
        _parentMax[layer] = max;
        _parentMin[layer] = min;
        return (max, min);
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
