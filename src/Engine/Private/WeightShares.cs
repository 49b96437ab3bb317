namespace PrivateInference.Engine.Private;

/// <summary>One weight matrix as one party's share components (see <c>MpcContext.LocalShares</c>).</summary>
public sealed record WeightShare(string Name, int Rows, int Cols, int Scale, ulong[][] Components);

/// <summary>
/// One compute party's shares of every weight matrix of a model, in the order <see cref="PrivateWeights"/> shares
/// them: what a party keeps at rest after the model owner shared the weights once, and serves later sessions from.
/// </summary>
public sealed record WeightShares(Models.LlamaConfig Config, IReadOnlyList<WeightShare> Tensors)
{
    /// <summary>Tensor names and shapes in sharing order; the same at every party and for every model of this shape.</summary>
    public static IReadOnlyList<(string Name, int Rows, int Cols)> Layout(Models.LlamaConfig c)
    {
        int d = c.Dim, kv = c.KvDim, h = c.HiddenDim;
        var layout = new List<(string, int, int)> { ("embedding", c.VocabSize, d) };
        for (int l = 0; l < c.Layers; l++)
        {
            layout.Add(($"wqkv[{l}]", d, d + 2 * kv));
            layout.Add(($"wo[{l}]", d, d));
            layout.Add(($"w13[{l}]", d, 2 * h));
            layout.Add(($"w2[{l}]", h, d));
        }
        layout.Add(("classifier", d, c.VocabSize));
        return layout;
    }
}
