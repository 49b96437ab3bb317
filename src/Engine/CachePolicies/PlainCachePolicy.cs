using PrivateInference.Engine.Models;
using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Engine.CachePolicies;

/// <summary>
/// The plaintext simulation of every cache policy, for accuracy: the prompt (positions &lt; prompt length) is
/// prefilled with full causal attention; from the first decode position on, each layer attends only to what the
/// policy keeps. Selection is recomputed for every layer and position from the same public budgets the private
/// version uses. With a threshold, static eviction keeps the ratio's slots and drops (from every later attention and
/// from the cluster bounds, where a dropped slot counts as a zero key) those whose window sum is below the bound, as
/// the private version masks them.
/// </summary>
public sealed class PlainCachePolicy : IAttentionPolicy
{
    private readonly CachePolicyOptions _o;
    private readonly LlamaConfig _c;
    private readonly int _prompt;
    private readonly int _window;
    private readonly double[][] _scores;          // [layer][position]: static-eviction or H2O accumulated attention
    private readonly double[][]? _windowSums;     // [layer][position]: the window's attention summed (threshold only)
    private readonly double _thresholdSum;        // the bound a window sum must reach (threshold only)
    private readonly bool[]?[] _dropped;           // [layer][position]: kept slots below the threshold
    private readonly List<int>?[] _kept;           // [layer]: kept cache positions, ascending (after static eviction)
    private readonly ClusterBounds[][] _bounds;    // [layer][kv head] over the kept cache
    private readonly HashSet<int>[] _h2oEvicted;
    private readonly List<int>[][] _selectedIndices; // [layer][kv head]: selection as indices into the kept cache
    private readonly int[][] _attended;            // [kv head] positions for the current layer
    private readonly int[] _attendedCount;
    private int _selectionPos = -1;

    /// <param name="fracBits">the fixed-point grid the private version compares the threshold on (the private default).</param>
    public PlainCachePolicy(LlamaConfig config, CachePolicyOptions options, int promptLength, int fracBits = FixedPointEncoding.DefaultFractionalBits)
    {
        if (promptLength < 1) throw new ArgumentOutOfRangeException(nameof(promptLength));
        _o = options;
        _c = config;
        _prompt = promptLength;
        _window = CacheBudgets.ObservationQueries(options, promptLength);
        _scores = Enumerable.Range(0, config.Layers).Select(_ => new double[config.SeqLen]).ToArray();
        _kept = new List<int>?[config.Layers];
        _dropped = new bool[]?[config.Layers];
        if (options is { UsesStaticEviction: true, StaticThreshold: not null })
        {
            _windowSums = Enumerable.Range(0, config.Layers).Select(_ => new double[promptLength]).ToArray();
            _thresholdSum = CacheBudgets.ThresholdSum(options, config.Heads, _window, fracBits);
        }
        _bounds = Enumerable.Range(0, config.Layers)
            .Select(_ => Enumerable.Range(0, config.KvHeads).Select(_ => new ClusterBounds(config.HeadSize, options.ChildClusterSize)).ToArray()).ToArray();
        _h2oEvicted = Enumerable.Range(0, config.Layers).Select(_ => new HashSet<int>()).ToArray();
        _selectedIndices = Enumerable.Range(0, config.Layers).Select(_ => new List<int>[config.KvHeads]).ToArray();
        _attended = Enumerable.Range(0, config.KvHeads).Select(_ => new int[config.SeqLen]).ToArray();
        _attendedCount = new int[config.KvHeads];
    }

    /// <summary>The prompt positions static eviction kept in <paramref name="layer"/> (null before its first decode step),
    /// and their window sums against the threshold's bound (for the equivalence tests: how far each lies from it).</summary>
    internal (IReadOnlyList<int>? Kept, double[]? WindowSums, double Bound) StaticSlots(int layer) => (_kept[layer], _windowSums?[layer], _thresholdSum);

    /// <summary>Tokens attended per KV head at the last layer processed (for reporting).</summary>
    public int AttendedCount(int kvHead) => _attendedCount[kvHead];

    public void BeginLayer(int layer, int pos, ReadOnlySpan<float> queries, ReadOnlySpan<float> keys)
    {
        if (pos < _prompt || _o.Kind == CachePolicyKind.Full)
        {
            for (int g = 0; g < _c.KvHeads; g++) SetAll(g, pos + 1);
            return;
        }
        switch (_o.Kind)
        {
            case CachePolicyKind.TopK: SelectTopK(pos, queries, keys); return;
            case CachePolicyKind.H2O: SelectH2O(layer, pos); return;
        }

        var kept = KeptCache(layer, pos, keys);
        if (!_o.UsesDynamicSelection || CacheBudgets.SelectsEverything(_o, kept.Count))
        {
            for (int g = 0; g < _c.KvHeads; g++) SetPositions(g, kept, null, _dropped[layer]);
            return;
        }
        int selector = CacheBudgets.SelectingLayer(_o, layer, _c.Layers);
        if (selector == layer || _selectionPos != pos)
        {
            // This layer selects for itself (an edge layer, a pair's first layer, or sharing off).
            var query = new float[_c.HeadSize];
            for (int g = 0; g < _c.KvHeads; g++)
            {
                Array.Clear(query);
                for (int h = g * _c.KvGroup; h < (g + 1) * _c.KvGroup; h++)
                    for (int j = 0; j < _c.HeadSize; j++) query[j] += queries[h * _c.HeadSize + j];
                _selectedIndices[layer][g] = ClusterSelection.Select(_o, _bounds[layer][g], query);
            }
            _selectionPos = pos;
            selector = layer;
        }
        for (int g = 0; g < _c.KvHeads; g++) SetPositions(g, kept, _selectedIndices[selector][g], _dropped[layer]);
    }

    public ReadOnlySpan<int> AttendedPositions(int kvHead) => _attended[kvHead].AsSpan(0, _attendedCount[kvHead]);

    public void ObserveAttention(int layer, int pos, int head, ReadOnlySpan<float> probabilities)
    {
        bool inWindow = pos < _prompt && pos >= _prompt - _window;
        if (!(_o.UsesStaticEviction && inWindow) && _o.Kind != CachePolicyKind.H2O) return;
        // Average over heads (and, for static eviction, over the window's queries).
        double scale = 1.0 / _c.Heads / (_o.Kind == CachePolicyKind.H2O ? 1 : _window);
        var positions = AttendedPositions(head / _c.KvGroup);
        for (int i = 0; i < positions.Length; i++) _scores[layer][positions[i]] += probabilities[i] * scale;
        if (_windowSums is not null && inWindow)
            for (int i = 0; i < positions.Length; i++) _windowSums[layer][positions[i]] += probabilities[i];
    }

    /// <summary>The layer's kept cache: the prompt tokens static eviction kept (or the whole prompt), then every token
    /// generated since; cluster bounds follow it incrementally.</summary>
    private List<int> KeptCache(int layer, int pos, ReadOnlySpan<float> keys)
    {
        var kept = _kept[layer];
        if (kept == null)
        {
            kept = _o.UsesStaticEviction
                ? TopPositions(_scores[layer], _prompt, CacheBudgets.StaticKept(_o, _prompt))
                : Enumerable.Range(0, _prompt).ToList();
            _kept[layer] = kept;
            if (_windowSums is not null)
            {
                var dropped = new bool[_c.SeqLen];
                foreach (var p in kept) dropped[p] = _windowSums[layer][p] < _thresholdSum;
                _dropped[layer] = dropped;
            }
            foreach (var p in kept) AppendBounds(layer, p, keys);
        }
        while (kept[^1] < pos)
        {
            int next = Math.Max(kept[^1] + 1, _prompt);
            kept.Add(next);
            AppendBounds(layer, next, keys);
        }
        return kept;
    }

    /// <summary>A dropped slot's key enters the bounds as zeros (the private cache holds zeros there), marked dropped so
    /// that a cluster of dropped slots only is not preferred.</summary>
    private void AppendBounds(int layer, int position, ReadOnlySpan<float> keys)
    {
        bool dropped = _dropped[layer] is { } d && d[position];
        for (int g = 0; g < _c.KvHeads; g++)
            _bounds[layer][g].Append(dropped ? new float[_c.HeadSize] : keys.Slice(position * _c.KvDim + g * _c.HeadSize, _c.HeadSize), !dropped);
    }

    private void SelectTopK(int pos, ReadOnlySpan<float> queries, ReadOnlySpan<float> keys)
    {
        int budget = CacheBudgets.BaselineKept(_o, pos + 1);
        for (int g = 0; g < _c.KvHeads; g++)
        {
            var s = new double[pos + 1];
            for (int t = 0; t <= pos; t++)
                for (int h = g * _c.KvGroup; h < (g + 1) * _c.KvGroup; h++)
                    for (int j = 0; j < _c.HeadSize; j++)
                        s[t] += queries[h * _c.HeadSize + j] * keys[t * _c.KvDim + g * _c.HeadSize + j];
            if (_o.Selection == SelectionMethod.Rank)
            {
                s[pos] = double.PositiveInfinity; // the newest token is always attended
                SetPositions(g, TopPositions(s, pos + 1, budget), null);
            }
            else
            {
                // As the private baseline: the newest forced, the rest by bucket tournament over positions 0..pos−1.
                var picked = budget > pos ? Enumerable.Range(0, pos + 1).ToList()
                    : TournamentTopK.PickWithForced(t => s[t], [pos], Enumerable.Range(0, pos).ToList(), budget);
                picked.Sort();
                SetPositions(g, picked, null);
            }
        }
    }

    private void SelectH2O(int layer, int pos)
    {
        var evicted = _h2oEvicted[layer];
        var live = Enumerable.Range(0, pos + 1).Where(p => !evicted.Contains(p)).ToList();
        int budget = CacheBudgets.BaselineKept(_o, pos + 1);
        int recent = Math.Max(1, (int)Math.Ceiling(_o.H2ORecentShare * budget));
        var keep = live.Skip(Math.Max(0, live.Count - recent)).ToHashSet();
        foreach (var p in live.Where(p => !keep.Contains(p)).OrderByDescending(p => _scores[layer][p]).ThenBy(p => p).Take(budget - keep.Count))
            keep.Add(p);
        foreach (var p in live) if (!keep.Contains(p)) evicted.Add(p);
        var kept = keep.ToList();
        kept.Sort();
        for (int g = 0; g < _c.KvHeads; g++) SetPositions(g, kept, null);
    }

    /// <summary>The <paramref name="budget"/> highest-scoring of positions [0, length), ties to the earlier, ascending.</summary>
    public static List<int> TopPositions(double[] scores, int length, int budget)
    {
        var top = Enumerable.Range(0, length).OrderByDescending(p => scores[p]).ThenBy(p => p).Take(budget).ToList();
        top.Sort();
        return top;
    }

    private void SetAll(int g, int length)
    {
        for (int i = 0; i < length; i++) _attended[g][i] = i;
        _attendedCount[g] = length;
    }

    /// <summary>Attend to <paramref name="kept"/> (or its entries at <paramref name="indices"/>) but the dropped positions.</summary>
    private void SetPositions(int g, List<int> kept, List<int>? indices, bool[]? dropped = null)
    {
        int count = 0, total = indices?.Count ?? kept.Count;
        for (int i = 0; i < total; i++)
        {
            int position = indices is null ? kept[i] : kept[indices[i]];
            if (dropped is null || !dropped[position]) _attended[g][count++] = position;
        }
        _attendedCount[g] = count;
    }
}
