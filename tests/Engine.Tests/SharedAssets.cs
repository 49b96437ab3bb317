using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests;

/// <summary>
/// The real model and text the tests run on, found where the CLI finds them (../shared beside the repository,
/// models/, $PI_MODELS). Missing files fail the test with a message saying where to put them: never a silent skip.
/// </summary>
public static class SharedAssets
{
    public static string ModelPath => Find("stories260K.bin");
    public static string TokenizerPath => Find("tok512.bin");

    private static readonly Lazy<LlamaWeights> Weights = new(() => Llama2cCheckpoint.Load(ModelPath));

    /// <summary>stories260K loaded once for every test that only reads it.</summary>
    public static LlamaWeights Stories260K => Weights.Value;

    public static string DevTextPath
    {
        get
        {
            var root = ModelLocator.FindRepositoryRoot() ?? throw new InvalidOperationException("repository root not found");
            var path = Path.Combine(root, "..", "shared", "data", "tinystories-valid-dev.txt");
            return File.Exists(path) ? path : throw new FileNotFoundException(
                $"held-out text not found at {Path.GetFullPath(path)}; these tests need ../shared/data beside the repository");
        }
    }

    private static string Find(string file)
    {
        foreach (var folder in new ModelLocator().SearchFolders)
        {
            var path = Path.Combine(folder, file);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException(
            $"{file} not found in {string.Join(", ", new ModelLocator().SearchFolders)}; download it from huggingface.co/karpathy/tinyllamas (stories260K) into models/");
    }
}
