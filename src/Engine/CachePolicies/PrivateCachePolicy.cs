using PrivateInference.Engine.Models;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The private version of the MPCache policies (full, static, dynamic, mpcache), reading the same
/// <see cref="CachePolicyOptions"/> and <see cref="CacheBudgets"/> as <see cref="PlainCachePolicy"/> and choosing the
/// same tokens: which tokens are kept stays secret (masks and one-hot gathers on shares), only the public budgets and
/// sizes are known to the parties. The per-token top-k baseline runs here too (by tournament); H2O in plaintext only.
/// </summary>
public sealed class PrivateCachePolicy
{
    // Added to scores that must win (the first cluster once, the last twice, so that it ranks first) and subtracted
    // from slots that may not compete; far above any attention-bound score, far below the ring's limits after the
    // rank key multiplies by n.
    private const double Forced = 4096, Excluded = 1024;

    private readonly MpcContext _ctx;
    private readonly LlamaConfig _c;
    private readonly CachePolicyOptions _o;
    private readonly int _prompt;
    private readonly SecretClusterBounds[] _bounds;          // [layer]: key bounds of the complete child and parent clusters
    private readonly Selection?[] _selections;               // [layer]: this step's selection, for the layers that share it
    private readonly ThresholdMask?[] _masks;                // [layer]: static eviction by threshold's validity bits
    private int _step;

    /// <summary>A step's choice of child clusters; a null one-hot means all of them (decided publicly).</summary>
    private sealed record Selection(int Step, Choice? Choice);

    /// <summary>A selection's one-hots: over slots of the picked parents (two stages) or over the children; possibly
    /// also the selecting layer's gathered token scores (<see cref="SelectedClusters.Chosen"/>).</summary>
    private sealed record Choice(SecretTensor OneHot, SecretTensor? Parents = null, SecretTensor? Chosen = null, OneHotLayout? Layout = null,
        OneHotLayout? ParentLayout = null);

    public PrivateCachePolicy(MpcContext ctx, LlamaConfig config, CachePolicyOptions options, int promptLength)
    {
        if (options.Kind is CachePolicyKind.H2O)
            throw new InputException("the h2o baseline runs in plaintext only (pi eval cache)");
        if (options.Kind is CachePolicyKind.TopK && options.Selection == SelectionMethod.Rank)
            throw new InputException("the private topk baseline selects by tournament (exact ranks over every token would compare n² pairs)");
        _ctx = ctx;
        _c = config;
        _o = options;
        _prompt = promptLength;
        _bounds = Enumerable.Range(0, config.Layers).Select(_ => new SecretClusterBounds(ctx, options.ChildClusterSize, options.ClusterSize, options.Hierarchy)).ToArray();
        _selections = new Selection?[config.Layers];
        _masks = new ThresholdMask?[config.Layers];
    }

    public int PromptLength => _prompt;

    /// <summary>Look-once static eviction at the end of the private prefill of <paramref name="layer"/>: scores each
    /// prompt token by the attention the window's queries give it (summed over heads and queries; the plaintext
    /// averages, which ranks the same), keeps the public budget, and compacts keys and values [kvh, P, hs] in position
    /// order. With a threshold the same slots are kept, each with a secret validity bit [sum ≥ T·H·W]
    /// (<see cref="CacheBudgets.ThresholdSum"/>); a slot below it holds a zero key and value, and later attention masks
    /// it (<see cref="MaskDropped"/>). Nothing is opened: shapes and messages depend on the public budget only.</summary>
    public (SecretTensor Keys, SecretTensor Values) AfterPrefill(int layer, SecretTensor probs, SecretTensor keys, SecretTensor values)
    {
        if (!_o.UsesStaticEviction) return (keys, values);
        using var scope = _ctx.Scope("static_eviction");
        int p = _prompt, w = CacheBudgets.ObservationQueries(_o, p), budget = CacheBudgets.StaticKept(_o, p), h = _c.Heads;
        bool threshold = _o.StaticThreshold is not null;
        if (budget >= p && !threshold) return (keys, values);
        var window = _ctx.Slice(_ctx.Reshape(probs, h, p, p), 1, p - w, w);           // [H, W, P]
        var score = _ctx.Sum(_ctx.Transpose(_ctx.Reshape(window, h * w, p)));          // [P]
        if (!threshold)
        {
            var oneHot = SecretSelection.Compact(_ctx, SecretSelection.TopKMask(_ctx, _ctx.Reshape(score, 1, p), budget), budget);
            return GatherTokens(_ctx.Reshape(oneHot, budget, p), keys, values);
        }
        // [sum ≥ bound] = 1 − [sum − bound < 0], exact on the ring (the bound is on the f grid, so encoding it is exact).
        var passes = _ctx.DRelu(_ctx.AddPublic(score, -CacheBudgets.ThresholdSum(_o, h, w, _ctx.FracBits)));   // [P], scale 0
        if (budget >= p)
        {
            // Every prompt token keeps its slot: the dropped ones' keys and values become zeros (bit × value, one round).
            _masks[layer] = ThresholdMask.Create(_ctx, passes, _o.ChildClusterSize, _o.ClusterSize);
            var bits = _ctx.Reshape(passes, 1, p, 1);
            var zeroed = _ctx.MulBatch([keys, values], [bits, bits]);
            return (zeroed[0], zeroed[1]);
        }
        var rows = SecretSelection.Compact(_ctx, SecretSelection.TopKMask(_ctx, _ctx.Reshape(score, 1, p), budget), budget, _ctx.Reshape(passes, 1, p));
        var compact = _ctx.Reshape(rows, budget, p);                                   // a dropped slot's row is zeros
        _masks[layer] = ThresholdMask.Create(_ctx, _ctx.Reshape(_ctx.Sum(compact), budget), _o.ChildClusterSize, _o.ClusterSize);  // a row's sum: its validity
        return GatherTokens(compact, keys, values);
    }

    /// <summary>Scores [kvh, rows, n] of a decode step over the layer's cache with the slots static eviction by
    /// threshold dropped at the softmax's masked value (local; unchanged without a threshold).</summary>
    public SecretTensor MaskDropped(int layer, SecretTensor scores) => _masks[layer] is { } mask ? mask.Apply(_ctx, scores) : scores;

    /// <summary>The validity bits of the layer's kept slots (for the equivalence tests; null: nothing masked).</summary>
    internal SecretTensor? Validity(int layer) => _masks[layer]?.Valid;

    /// <summary>Benchmark set-up only: the layer's kept slots carry these validity bits [slots] (scale 0), as if static
    /// eviction by threshold had run (the decode step's cost does not depend on them).</summary>
    public void FillMaskForBenchmark(int layer, SecretTensor valid)
    {
        if (_o.StaticThreshold is null) throw new InvalidOperationException("static eviction by ratio masks nothing");
        _masks[layer] = ThresholdMask.Create(_ctx, valid, _o.ChildClusterSize, _o.ClusterSize);
    }

    /// <summary>The child clusters a decode step attends to (null: all of them, decided publicly). <paramref name="queries"/>
    /// is [kvh, G, hs]; the cache [kvh, n, hs] holds the kept tokens and the new one. <paramref name="tokenScores"/>
    /// [kvh, G, n], the scores of every cached token when the caller has them: the layer that selects then gathers its
    /// picked parents' token scores in the same product as their children's cluster scores (one round less).</summary>
    public SelectedClusters? Select(int layer, SecretTensor queries, SecretTensor keys, SecretTensor? tokenScores = null)
    {
        int n = keys.Shape[1];
        if (layer == 0) _step++;
        if (_o.Kind == CachePolicyKind.TopK) return SelectTokens(queries, keys, tokenScores);
        if (!_o.UsesDynamicSelection || CacheBudgets.SelectsEverything(_o, n)) return null;
        using var scope = _ctx.Scope("dynamic_selection");
        int children = CacheBudgets.Clusters(n, _o.ChildClusterSize);
        // Bounds are kept up to date in every layer (the next selection needs them), selection only where it is made.
        var bounds = _bounds[layer];
        bounds.Update(keys);
        int selector = CacheBudgets.SelectingLayer(_o, layer, _c.Layers);
        Selection selection;
        if (selector != layer && _selections[selector] is { } shared && shared.Step == _step)
            selection = shared with { Choice = Adopted(shared.Choice) };
        else
            selection = _selections[layer] = new Selection(_step, SelectChildren(_masks[layer], queries, bounds, n, children, tokenScores));
        return selection.Choice is not { } choice ? null
            : new SelectedClusters(choice.OneHot, _o.ChildClusterSize, n, choice.Parents, choice.Parents is null ? 0 : _o.ClusterSize,
                selector == layer ? choice.Chosen : null, choice.Layout, choice.ParentLayout);
    }

    /// <summary>A selecting layer's one-hots as this layer's helper roles can use them: in 3pc a layer of another block
    /// of layers (<see cref="Private.PrivateTransformer.HelperShift"/>) converts them (one round each); otherwise as they are.</summary>
    private Choice? Adopted(Choice? c) =>
        c is null ? null : c with
        {
            OneHot = _ctx.Adopt(c.OneHot),
            Parents = c.Parents is { } p ? _ctx.Adopt(p) : null,
            Layout = Adopted(c.Layout),
            ParentLayout = Adopted(c.ParentLayout),
        };

    private OneHotLayout? Adopted(OneHotLayout? l) => l?.Compact is { } compact ? l with { Compact = _ctx.Adopt(compact) } : l;

    /// <summary>The naive baseline MPCache is measured against: per-token top-k of (Σ_g q_g)·k over the whole cache, every
    /// step and layer, no clusters (the newest token forced, in row 0), by the same tournament; as
    /// <see cref="PlainCachePolicy"/>'s topk.</summary>
    private SelectedClusters? SelectTokens(SecretTensor queries, SecretTensor keys, SecretTensor? tokenScores)
    {
        int n = keys.Shape[1], kvh = _c.KvHeads, hs = _c.HeadSize, budget = CacheBudgets.BaselineKept(_o, n);
        if (budget >= n) return null;
        using var scope = _ctx.Scope("topk_selection");
        // (Σ_g q_g)·k = Σ_g q_g·k: from the attention's scores of every token when the caller has them, summed locally and
        // truncated to f (one round; the tournament's keys stay as narrow as before), where a product with the keys as a
        // plain tensor opened all of them (16.8 of 32 MB per step at the paper's shape and 2048 tokens).
        var scores = tokenScores is not null
            ? _ctx.Rescale(_ctx.Reshape(_ctx.Sum(_ctx.Transpose(tokenScores)), kvh, n), _ctx.FracBits)
            : _ctx.Reshape(_ctx.MatMul(_ctx.Reshape(_ctx.Sum(_ctx.Transpose(queries)), kvh, 1, hs), _ctx.Transpose(keys)), kvh, n);
        // Σ_g q_g·k over the G query heads of a KV head: below G·2^B for the session's score domain 2^B.
        int boundLog2 = Math.Min(MpcContext.NonlinearRangeLog2, _ctx.Options.ScoreRangeLog2 + (int)Math.Ceiling(Math.Log2(_c.KvGroup)));
        var (oneHot, layout) = SecretSelection.PickWithLayout(_ctx, scores, [n - 1], Enumerable.Range(0, n - 1).ToList(), budget, boundLog2);
        return new SelectedClusters(oneHot, 1, n, Layout: layout);
    }

    /// <summary>Secret one-hot [kvh, k2, children] of the selected child clusters, in the order the attention uses
    /// (the last child first), as the plaintext <see cref="ClusterSelection.Select"/> would pick them (exposed for the
    /// equivalence test).</summary>
    internal SecretTensor SelectChildrenOneHot(int layer, SecretTensor queries, SecretTensor keys)
    {
        int n = keys.Shape[1];
        _bounds[layer].Update(keys);
        var choice = SelectChildren(_masks[layer], queries, _bounds[layer], n, CacheBudgets.Clusters(n, _o.ChildClusterSize))
            ?? throw new InvalidOperationException("every cluster is kept at this length: nothing is selected");
        return new SelectedClusters(choice.OneHot, _o.ChildClusterSize, n, choice.Parents, _o.ClusterSize).ChildOneHot(_ctx);
    }

    /// <summary>The selected children's one-hot [kvh, k2, children] in rank order, or null when every child is kept.
    /// The last child outranks everything by 2·<see cref="Forced"/> and the first by <see cref="Forced"/>, so the
    /// last child is row 0 (its padding is at public positions) and both are always kept, as in the plaintext. With a
    /// threshold's <paramref name="mask"/>, clusters of dropped slots only score less (<see cref="ThresholdMask.PenalizeEmpty"/>).</summary>
    private Choice? SelectChildren(ThresholdMask? mask, SecretTensor queries, SecretClusterBounds bounds, int n, int children, SecretTensor? tokenScores = null) =>
        _o.Selection == SelectionMethod.Rank
            ? SelectChildrenByRank(mask, queries, bounds, n, children) is { } oneHot ? new Choice(oneHot) : null
            : SelectChildrenByTournament(mask, queries, bounds, n, children, tokenScores);

    /// <summary>Child-cluster bound scores [kvh, children] (times <paramref name="weight"/>: A + B for the tournament's
    /// weighted scores) with a threshold's empty clusters lowered.</summary>
    private SecretTensor ChildScores(ThresholdMask? mask, SecretTensor scores, int weight = 1) => mask?.PenalizeEmpty(_ctx, scores, _o.ChildClusterSize, weight) ?? scores;

    /// <summary>Parent-cluster bound scores [kvh, parents] (times <paramref name="weight"/>) with a threshold's empty
    /// clusters lowered.</summary>
    private SecretTensor ParentScores(ThresholdMask? mask, SecretTensor scores, int weight = 1) => mask?.PenalizeEmpty(_ctx, scores, _o.ClusterSize, weight) ?? scores;

    /// <summary>The factor A + B of the tournament's weighted scores (<see cref="WeightedScores"/>).</summary>
    private int Weight => _o.AlphaWeights.Max + _o.AlphaWeights.Min;

    /// <summary>As <see cref="ClusterSelection"/>'s tournament: the forced clusters are public rows (the last child in
    /// row 0), level 1's winners pick the parents, whose children, in row order, are level 2's candidates.</summary>
    private Choice? SelectChildrenByTournament(ThresholdMask? mask, SecretTensor queries, SecretClusterBounds bounds, int n, int children, SecretTensor? tokenScores)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize;
        var q = _ctx.Reshape(_ctx.Sum(_ctx.Transpose(queries)), kvh, 1, hs);           // [kvh, 1, hs]
        int per = _o.ClusterSize / _o.ChildClusterSize, parents = CacheBudgets.Clusters(n, _o.ClusterSize);
        int k1 = CacheBudgets.Level1Kept(_o, parents);
        if (!_o.Hierarchy || k1 >= parents)
        {
            int flat = CacheBudgets.Level2Kept(_o, children, children);
            if (flat >= children) return null;
            var scores = ChildScores(mask, WeightedScores(q, bounds, children, parents, withParents: false), Weight);
            if (tokenScores is null || tokenScores.Scale != scores.Scale)
            {
                var (flatPick, flatLayout) = SecretSelection.PickWithLayout(_ctx, scores, [children - 1, 0], Enumerable.Range(1, children - 2).ToList(), flat, WeightedBoundLog2);
                return new Choice(flatPick, Layout: flatLayout);
            }
            // The children's token scores ride through the tournament (no gather product after it).
            var byChild = SelectedClusters.TokensByCluster(_ctx, tokenScores, children, _o.ChildClusterSize);   // [kvh, children, c·G]
            var (oneHot, gathered, layout) = SecretSelection.PickWithForced(_ctx, scores, [byChild], [_ctx.SoftmaxInputRing(byChild.Scale)],
                [children - 1, 0], Enumerable.Range(1, children - 2).ToList(), flat, WeightedBoundLog2);
            return new Choice(oneHot, Chosen: gathered[0], Layout: layout);
        }
        int lastParentChildren = children - (parents - 1) * per;
        int candidates = (k1 - 1) * per + lastParentChildren;
        int k2 = CacheBudgets.Level2Kept(_o, children, candidates);
        var both = WeightedScores(q, bounds, children, parents, withParents: true);
        var parentScores = ParentScores(mask, _ctx.Slice(both, 1, 0, parents), Weight);  // [kvh, parents]
        var childScores = ChildScores(mask, _ctx.Slice(both, 1, parents, children), Weight);  // [kvh, children]
        // Slot b·per + j is child j of the parent in row b; row 0 is the last parent (its missing children are padding,
        // never candidates), row 1 the first.
        var byParent = _ctx.Reshape(Pad(_ctx.Reshape(childScores, kvh, children, 1), parents * per), kvh, parents, per);
        int slots = k1 * per;
        // With the token scores at the same scale, the picked parents' token scores ride with their children's scores
        // through level 1's tournament, and the picked children's through level 2's: the attention's gathers then
        // cost no product of their own.
        // Each payload opens in the ring its consumer reads it in (SecretTensor.Ring): the children's scores in level 2's
        // keys' (ArgMaxInputRing), the token scores in softmax's (SoftmaxInputRing); 56 and 48 bits of 64 at the
        // paper's shape, where the payloads were most of level 1's bytes.
        bool fuse = tokenScores is not null && tokenScores.Scale == byParent.Scale;
        int keyRing = MpcContext.ArgMaxInputRing(byParent.Scale, WeightedBoundLog2), scoreRing = fuse ? _ctx.SoftmaxInputRing(tokenScores!.Scale) : 64;
        SecretTensor[] payloads = fuse ? [byParent, SelectedClusters.TokensByCluster(_ctx, tokenScores!, parents, _o.ClusterSize)] : [byParent];
        var (parentPick, picked, parentLayout) = SecretSelection.PickWithForced(_ctx, parentScores, payloads, fuse ? [keyRing, scoreRing] : [keyRing],
            [parents - 1, 0], Enumerable.Range(1, parents - 2).ToList(), k1, WeightedBoundLog2);
        var candidateScores = _ctx.Reshape(picked[0], kvh, slots);                         // [kvh, slots]
        int g = fuse ? tokenScores!.Shape[1] : 0, c = _o.ChildClusterSize;
        SecretTensor? tokenSlots = fuse ? _ctx.Reshape(picked[1], kvh, slots, c * g) : null;
        if (k2 >= candidates)
        {
            var order = AllCandidatesOrder(per, slots, lastParentChildren);
            return new Choice(AllCandidates(parentPick, k1, per, parents, children, lastParentChildren), Chosen: tokenSlots is null ? null : Rows(tokenSlots, order));
        }
        var middle = Enumerable.Range(0, slots).Where(j => (j >= per || j < lastParentChildren - 1) && j != per).ToList();
        if (tokenSlots is null)
        {
            var (plainPick, plainLayout) = SecretSelection.PickWithLayout(_ctx, candidateScores, [lastParentChildren - 1, per], middle, k2, WeightedBoundLog2);
            return new Choice(plainPick, parentPick, Layout: plainLayout, ParentLayout: parentLayout);
        }
        var (pick, chosen, layout2) = SecretSelection.PickWithForced(_ctx, candidateScores, [tokenSlots], [scoreRing], [lastParentChildren - 1, per], middle, k2,
            WeightedBoundLog2);
        return new Choice(pick, parentPick, chosen[0], layout2, parentLayout);             // pick [kvh, k2, slots]
    }

    /// <summary>Rows <paramref name="order"/> of x [kvh, slots, d] for every head: [kvh, order, d]. Local.</summary>
    private SecretTensor Rows(SecretTensor x, IReadOnlyList<int> order)
    {
        int kvh = x.Shape[0], slots = x.Shape[1], d = x.Shape[2];
        var idx = new int[kvh * order.Count * d];
        for (int h = 0, at = 0; h < kvh; h++)
            foreach (var slot in order)
                for (int e = 0; e < d; e++) idx[at++] = (h * slots + slot) * d + e;
        return _ctx.Rearrange(x, idx, kvh, order.Count, d);
    }

    /// <summary>Exact top-k by ranks at each level (see <see cref="SecretSelection.TopKOneHot"/>).</summary>
    private SecretTensor? SelectChildrenByRank(ThresholdMask? mask, SecretTensor queries, SecretClusterBounds bounds, int n, int children)
    {
        int kvh = _c.KvHeads, hs = _c.HeadSize;
        // The bound is linear in q, so the group's queries are summed first.
        var q = _ctx.Reshape(_ctx.Sum(_ctx.Transpose(queries)), kvh, 1, hs);           // [kvh, 1, hs]
        if (!_o.Hierarchy)
        {
            int flat = CacheBudgets.Level2Kept(_o, children, children);
            if (flat >= children) return null;
            return SecretSelection.TopKOneHot(_ctx, Force(ChildScores(mask, Scores(q, bounds, children, 0, withParents: false)), children), flat);
        }

        int per = _o.ClusterSize / _o.ChildClusterSize, parents = CacheBudgets.Clusters(n, _o.ClusterSize);
        int k1 = CacheBudgets.Level1Kept(_o, parents);
        int lastParentChildren = children - (parents - 1) * per;
        int candidates = k1 < parents ? (k1 - 1) * per + lastParentChildren : children;
        int k2 = CacheBudgets.Level2Kept(_o, children, candidates);
        if (k1 >= parents && k2 >= children) return null;
        if (k1 >= parents)
            return SecretSelection.TopKOneHot(_ctx, Force(ChildScores(mask, Scores(q, bounds, children, 0, withParents: false)), children), k2);

        // Both levels' scores in one product (the children's are used at level 2).
        var both = Scores(q, bounds, children, parents, withParents: true);
        var parentScores = ParentScores(mask, _ctx.Slice(both, 1, 0, parents));          // [kvh, parents]
        var childScores = ChildScores(mask, _ctx.Slice(both, 1, parents, children));     // [kvh, children]
        // Level 1: the best parents, the last one first and the first one second; their children, in child order, are
        // the candidates of level 2: slot b·per + j is child j of the parent of rank b.
        var parentPick = SecretSelection.TopKOneHot(_ctx, Force(parentScores, parents), k1);     // [kvh, k1, parents]
        // A level-2 budget that covers every candidate keeps them all (the plaintext takes them all too).
        if (k2 >= candidates) return AllCandidates(parentPick, k1, per, parents, children, lastParentChildren);
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

    /// <summary>Every child of the kept parents as the one-hot [kvh, candidates, children], the last child first (the
    /// attention expects its padding in row 0) and the last parent's missing children left out. Local.</summary>
    private SecretTensor AllCandidates(SecretTensor parentPick, int k1, int per, int parents, int children, int lastParentChildren)
    {
        int kvh = _c.KvHeads, slots = k1 * per;
        var expanded = ExpandToChildren(parentPick, k1, per, parents, children);           // [kvh, slots, children]
        var order = AllCandidatesOrder(per, slots, lastParentChildren);
        var indices = new int[kvh * order.Count * children];
        for (int h = 0, at = 0; h < kvh; h++)
            foreach (var slot in order)
                for (int c = 0; c < children; c++) indices[at++] = (h * slots + slot) * children + c;
        return _ctx.Rearrange(expanded, indices, kvh, order.Count, children);
    }

    /// <summary>The slots of <see cref="AllCandidates"/> in row order: slot b·per + j is child j of the parent of rank b;
    /// rank 0 is the last parent, whose last child comes first and whose missing children are left out.</summary>
    private static List<int> AllCandidatesOrder(int per, int slots, int lastParentChildren)
    {
        var order = new List<int> { lastParentChildren - 1 };
        order.AddRange(Enumerable.Range(0, lastParentChildren - 1));
        order.AddRange(Enumerable.Range(per, slots - per));
        return order;
    }

    private SecretTensor ExpandToChildren(SecretTensor parentPick, int k1, int per, int parents, int children) =>
        SelectedClusters.ExpandToChildren(_ctx, parentPick, per, children);

    /// <summary>q·(a·max + (1−a)·min) per cluster [kvh, clusters] (the parents then the children, or the children
    /// alone). Linear in the bounds, so it is computed as a·(q·max) + (1−a)·(q·min): the products with public a then
    /// touch one value per cluster, not one per channel.</summary>
    private SecretTensor Scores(SecretTensor q, SecretClusterBounds bounds, int children, int parents, bool withParents)
    {
        int clusters = children + (withParents ? parents : 0);
        var both = bounds.Products(q, children, parents, withParents, truncate: true);           // [kvh, 1, 2·clusters]
        var weights = new double[2 * clusters];
        for (int i = 0; i < clusters; i++) { weights[i] = _o.Alpha; weights[clusters + i] = 1 - _o.Alpha; }
        var weighted = _ctx.MulPublic(both, weights, [1, 1, 2 * clusters]);
        return _ctx.Reshape(_ctx.Add(_ctx.Slice(weighted, 2, 0, clusters), _ctx.Slice(weighted, 2, clusters, clusters)), _c.KvHeads, clusters);
    }

    /// <summary>The tournament's cluster scores [kvh, clusters]: (A + B)·q·(a·max + (1−a)·min) as A·(q·max) + B·(q·min)
    /// with the integer weights of <see cref="CachePolicyOptions.AlphaWeights"/>, local after the product, and the
    /// product left untruncated (at 2f) where the tournament's keys fit: the scores cost one round where a truncated
    /// product and real weights took three. A tournament only needs their order.</summary>
    private SecretTensor WeightedScores(SecretTensor q, SecretClusterBounds bounds, int children, int parents, bool withParents)
    {
        int clusters = children + (withParents ? parents : 0);
        var (a, b) = _o.AlphaWeights;
        var both = bounds.Products(q, children, parents, withParents, truncate: !WeightedKeysFit(2 * _ctx.FracBits));  // [kvh, 1, 2·clusters]
        var weighted = _ctx.Add(_ctx.MulPublicInt(_ctx.Slice(both, 2, 0, clusters), a), _ctx.MulPublicInt(_ctx.Slice(both, 2, clusters, clusters), b));
        return _ctx.Reshape(weighted, _c.KvHeads, clusters);
    }

    /// <summary>
    /// |weighted scores, forcing and penalties included| &lt; 2^W, the selection tournament's domain. A bound score
    /// q·max (or q·min) of a cluster is at most ‖q‖·√hs·max‖k‖ ≤ √hs·σ(Wq)·σ(Wk) ≤ √hs·2^(B−1) for the session's score
    /// domain 2^B (NonlinearDomains: B leaves a factor 2 over σ(Wq)·σ(Wk)), times A + B of the weights; the
    /// adjustments add at most 2·4096 (forcing) plus 512·(A + B) (an empty cluster's penalty). Keys narrow with the
    /// model's domain; never wider than 2^24, the width before the domains (which the widest domain keeps).
    /// </summary>
    private int WeightedBoundLog2
    {
        get
        {
            double scores = Weight * Math.Sqrt(_c.HeadSize) * Math.Pow(2, _ctx.Options.ScoreRangeLog2 - 1);
            double adjustments = 2 * Forced + (double)ThresholdMask.EmptyPenalty * Weight;
            return Math.Min(MpcContext.NonlinearRangeLog2 + 4, (int)Math.Ceiling(Math.Log2(scores + adjustments)));
        }
    }

    /// <summary>Whether tournament keys of weighted scores at <paramref name="scale"/> fit the ring: differences below
    /// 2^(bound + 1 + scale), times a group of up to 32, plus the sign (63 bits at 2f for f = 16).</summary>
    private bool WeightedKeysFit(int scale) => WeightedBoundLog2 + 1 + scale + 5 + 1 <= 63;

    /// <summary>The first and last clusters are always kept (their ids are public), the last ranked first.</summary>
    private SecretTensor Force(SecretTensor scores, int clusters)
    {
        var add = new double[clusters];
        add[0] = Forced;
        add[clusters - 1] = 2 * Forced;
        return _ctx.AddPublic(scores, add, [1, clusters]);
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
