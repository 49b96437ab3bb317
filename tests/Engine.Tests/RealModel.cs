using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests;

/// <summary>
/// stories260K from ../shared/models beside the repository. Under CI=true a missing model fails the test; elsewhere the
/// tests fall back to random weights of the same shape, which every property checked here must also satisfy.
/// </summary>
internal static class RealModel
{
    private static readonly Lazy<(LlamaWeights Weights, bool IsReal)> Loaded = new(Load);

    public static LlamaWeights Stories260K => Loaded.Value.Weights;

    public static string? Path => Find();

    private static (LlamaWeights, bool) Load()
    {
        if (Find() is { } path) return (ModelLoader.Load(path), true);
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new FileNotFoundException("CI=true but ../shared/models/stories260K.bin is missing beside the repository");
        return (SyntheticModels.Create(SyntheticModels.Preset("stories260K"), seed: 7), false);
    }

    private static string? Find()
    {
        var root = ModelLocator.FindRepositoryRoot();
        if (root == null) return null;
        var path = System.IO.Path.Combine(root, "..", "shared", "models", "stories260K.bin");
        return File.Exists(path) ? System.IO.Path.GetFullPath(path) : null;
    }
}
