using PrivateInference.Protocols;
using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Engine.Private;

/// <summary>
/// The model's weights as secret shares, created once per session from the model owner's <see cref="FoldedWeights"/>.
/// Every matrix is prepared for repeated products (in 2pc its Beaver mask is opened once, here).
/// </summary>
public sealed class PrivateWeights
{
    /// <summary>Null when only the decoder layers were shared (layer benchmarks).</summary>
    public required PreparedMatrix? Embedding { get; init; }
    public required PreparedMatrix[] Wqkv { get; init; }
    public required PreparedMatrix[] Wo { get; init; }
    public required PreparedMatrix[] W13 { get; init; }
    public required PreparedMatrix[] W2 { get; init; }
    public required PreparedMatrix? Classifier { get; init; }

    /// <summary>SPMD: the model owner passes its folded weights, everyone else null; all get their shares.</summary>
    public static PrivateWeights Share(MpcContext ctx, Models.LlamaConfig c, FoldedWeights? owner, bool layersOnly = false)
    {
        using var scope = ctx.Scope("share_weights");
        PreparedMatrix Input(string name, int rows, int cols, Func<FoldedWeights, float[]> pick)
        {
            double[]? values = owner is null ? null : Array.ConvertAll(pick(owner), v => (double)v);
            if (values is not null)
                CheckEncodable(name, values, ctx.FracBits);
            var shared = ctx.Input(PartyIds.ModelOwner, [rows, cols], values);
            using var roles = PrivateTransformer.LayerRoles(ctx, LayerUsing(name, c.Layers), c.Layers);
            return ctx.PrepareWeight(shared);
        }
        int d = c.Dim, kv = c.KvDim, h = c.HiddenDim;
        var layers = Enumerable.Range(0, c.Layers).ToArray();
        return new PrivateWeights
        {
            Embedding = layersOnly ? null : Input("embedding", c.VocabSize, d, f => f.Embedding),
            Wqkv = layers.Select(l => Input($"wqkv[{l}]", d, d + 2 * kv, f => f.Wqkv[l])).ToArray(),
            Wo = layers.Select(l => Input($"wo[{l}]", d, d, f => f.Wo[l])).ToArray(),
            W13 = layers.Select(l => Input($"w13[{l}]", d, 2 * h, f => f.W13[l])).ToArray(),
            W2 = layers.Select(l => Input($"w2[{l}]", h, d, f => f.W2[l])).ToArray(),
            Classifier = layersOnly ? null : Input("classifier", d, c.VocabSize, f => f.Classifier),
        };
    }

    /// <summary>
    /// SPMD, once per model: the owner secret-shares every matrix (in <see cref="WeightShares.Layout"/> order) and each
    /// compute party gets its own components to keep at rest; the owner and the dealer get tensors without components.
    /// Nothing is prepared: preparation (in 2pc the opening of Beaver masks) belongs to each later session.
    /// </summary>
    public static WeightShares ShareForStorage(MpcContext ctx, Models.LlamaConfig c, FoldedWeights? owner)
    {
        using var scope = ctx.Scope("share_weights");
        var tensors = new List<WeightShare>();
        foreach (var (name, rows, cols) in WeightShares.Layout(c))
        {
            double[]? values = null;
            if (owner is not null)
            {
                values = Array.ConvertAll(Pick(owner, name), v => (double)v);
                CheckEncodable(name, values, ctx.FracBits);
            }
            var shared = ctx.Input(PartyIds.ModelOwner, [rows, cols], values);
            tensors.Add(new WeightShare(name, rows, cols, shared.Scale, ctx.LocalShares(shared)));
        }
        return new WeightShares(c, tensors);
    }

    /// <summary>SPMD, every session served from stored shares: each compute party loads its own components (the client
    /// passes null and holds none), and every matrix is prepared as <see cref="Share"/> would.</summary>
    public static PrivateWeights FromStored(MpcContext ctx, Models.LlamaConfig c, WeightShares? stored)
    {
        using var scope = ctx.Scope("share_weights");
        var layout = WeightShares.Layout(c);
        if (stored is not null && (stored.Tensors.Count != layout.Count
                                   || stored.Tensors.Zip(layout).Any(p => p.First.Name != p.Second.Name || p.First.Rows != p.Second.Rows || p.First.Cols != p.Second.Cols)))
            throw new InputException("the stored weight shares do not have the layout of the session's model");
        var prepared = new Dictionary<string, PreparedMatrix>();
        for (int i = 0; i < layout.Count; i++)
        {
            var (name, rows, cols) = layout[i];
            var components = stored?.Tensors[i].Components ?? Enumerable.Range(0, ctx.ShareComponents).Select(_ => new ulong[rows * cols]).ToArray();
            var scale = stored?.Tensors[i].Scale ?? ctx.FracBits;
            var shares = ctx.FromLocalShares([rows, cols], scale, components);
            using var roles = PrivateTransformer.LayerRoles(ctx, LayerUsing(name, c.Layers), c.Layers);
            prepared[name] = ctx.PrepareWeight(shares);
        }
        var layers = Enumerable.Range(0, c.Layers).ToArray();
        return new PrivateWeights
        {
            Embedding = prepared["embedding"],
            Wqkv = layers.Select(l => prepared[$"wqkv[{l}]"]).ToArray(),
            Wo = layers.Select(l => prepared[$"wo[{l}]"]).ToArray(),
            W13 = layers.Select(l => prepared[$"w13[{l}]"]).ToArray(),
            W2 = layers.Select(l => prepared[$"w2[{l}]"]).ToArray(),
            Classifier = prepared["classifier"],
        };
    }

    /// <summary>The layer whose roles a matrix is prepared under (<see cref="PrivateTransformer.LayerRoles"/>): its own,
    /// the first for the embedding, the last for the classifier.</summary>
    private static int LayerUsing(string name, int layers) => LayerOf(name) ?? (name == "classifier" ? layers - 1 : 0);

    private static int? LayerOf(string name)
    {
        var open = name.IndexOf('[');
        return open < 0 ? null : int.Parse(name[(open + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static float[] Pick(FoldedWeights w, string name)
    {
        if (name == "embedding") return w.Embedding;
        if (name == "classifier") return w.Classifier;
        int layer = LayerOf(name) ?? throw new ArgumentException($"no weight tensor {name}");
        return name[..name.IndexOf('[')] switch
        {
            "wqkv" => w.Wqkv[layer],
            "wo" => w.Wo[layer],
            "w13" => w.W13[layer],
            "w2" => w.W2[layer],
            _ => throw new ArgumentException($"no weight tensor {name}"),
        };
    }

    /// <summary>
    /// Refuses, at the owner and before anything is sent, a weight that fixed point cannot represent. The message names
    /// the tensor and the reason, never the value nor where it sits: it reaches every party in the session's abort notice.
    /// </summary>
    public static void CheckEncodable(string tensor, ReadOnlySpan<double> values, int fracBits)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (FixedPointEncoding.Fits(values[i], fracBits))
                continue;
            var reason = double.IsFinite(values[i])
                ? $"has a magnitude of at least 2^{63 - fracBits}, the fixed-point range at {fracBits} fractional bits"
                : "is NaN or infinite";
            throw new InputException($"weight tensor {tensor} cannot be secret-shared: an entry {reason}");
        }
    }
}
