using System.CommandLine;
using PrivateInference.Engine;
using PrivateInference.Engine.Models;

namespace PrivateInference.Parties.Cli;

/// <summary>`--dim --heads --kv-heads --ffn`: a random-weight model of the user's own shape, starting from --preset, for
/// cost benchmarks without a checkpoint (with --layers and the contexts asked for, the whole shape).</summary>
internal sealed class ShapeOptions
{
    public Option<int?> Dim { get; } = new("--dim") { Description = "with --preset: hidden size" };
    public Option<int?> Heads { get; } = new("--heads") { Description = "with --preset: attention heads (head size = dim / heads)" };
    public Option<int?> KvHeads { get; } = new("--kv-heads") { Description = "with --preset: key/value heads (default: as many as --heads)" };
    public Option<int?> Ffn { get; } = new("--ffn") { Description = "with --preset: feed-forward width" };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Dim, Heads, KvHeads, Ffn }) command.Options.Add(o);
    }

    public bool Given(ParseResult parse) =>
        parse.GetValue(Dim) is not null || parse.GetValue(Heads) is not null || parse.GetValue(KvHeads) is not null || parse.GetValue(Ffn) is not null;

    /// <summary>The preset with the given sizes, any layer count, and a context at least <paramref name="context"/>.</summary>
    public LlamaConfig Apply(ParseResult parse, string preset, int? layers, int context)
    {
        var config = SyntheticModels.Preset(preset);
        foreach (var (name, value) in new[] { ("--dim", parse.GetValue(Dim)), ("--heads", parse.GetValue(Heads)), ("--kv-heads", parse.GetValue(KvHeads)), ("--ffn", parse.GetValue(Ffn)), ("--layers", layers) })
            if (value is < 1) throw new InputException($"{name} must be a positive integer, got {value}");
        return SyntheticModels.Reshape(config, parse.GetValue(Dim), parse.GetValue(Heads), parse.GetValue(KvHeads) ?? (parse.GetValue(Heads) is { } h ? h : null),
            parse.GetValue(Ffn), layers, Math.Max(config.SeqLen, context));
    }

    /// <summary>How a report names the shape.</summary>
    public string Describe(ParseResult parse, string preset, LlamaConfig c) => Given(parse)
        ? $"{preset} reshaped (d {c.Dim}, {c.Heads} heads, {c.KvHeads} kv, ffn {c.HiddenDim}, {c.Layers} layer{(c.Layers > 1 ? "s" : "")})"
        : $"{preset}{(c.Layers != SyntheticModels.Preset(preset).Layers ? $" ({c.Layers} layer{(c.Layers > 1 ? "s" : "")})" : "")}";
}
