namespace PrivateInference.Engine.Models;

/// <summary>
/// Finds model and tokenizer files. A model is named by a path or by a name looked up as NAME.bin (or
/// NAME.safetensors) in the model folders, in order: --models-dir, $PI_MODELS (':'-separated), ./models,
/// the repository's models/, and a sibling ../shared/models of the repository.
/// </summary>
public sealed class ModelLocator(string? modelsDir = null)
{
    public IReadOnlyList<string> SearchFolders { get; } = BuildSearchFolders(modelsDir);

    public string ResolveModel(string nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath))
            throw new InputException("--model is empty");
        if (File.Exists(nameOrPath))
            return Path.GetFullPath(nameOrPath);
        bool looksLikePath = nameOrPath.Contains('/') || nameOrPath.Contains('\\')
            || nameOrPath.EndsWith(".bin", StringComparison.Ordinal) || nameOrPath.EndsWith(".safetensors", StringComparison.Ordinal);
        if (!looksLikePath)
            foreach (var folder in SearchFolders)
                foreach (var ext in new[] { ".bin", ".safetensors" })
                {
                    var candidate = Path.Combine(folder, nameOrPath + ext);
                    if (File.Exists(candidate)) return Path.GetFullPath(candidate);
                }
        throw new InputException(looksLikePath
            ? $"model file not found: {nameOrPath}"
            : $"model '{nameOrPath}' not found as {nameOrPath}.bin in: {string.Join(", ", SearchFolders)} " +
              "(download stories260K.bin and tok512.bin from huggingface.co/karpathy/tinyllamas into models/, or pass --models-dir)");
    }

    /// <summary>The tokenizer for a model: tok{V}.bin beside it (llama2.c's name for custom vocabularies), else
    /// tokenizer.bin beside it, else the same names in the model folders.</summary>
    public string ResolveTokenizer(string? explicitPath, string modelPath, int vocabSize)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : throw new InputException($"tokenizer file not found: {explicitPath}");
        string[] names = [$"tok{vocabSize}.bin", "tokenizer.bin"];
        var folders = new List<string> { Path.GetDirectoryName(Path.GetFullPath(modelPath))! };
        folders.AddRange(SearchFolders);
        foreach (var folder in folders)
            foreach (var name in names)
            {
                var candidate = Path.Combine(folder, name);
                if (File.Exists(candidate)) return candidate;
            }
        throw new InputException($"no tokenizer found for {Path.GetFileName(modelPath)}: looked for {string.Join(" or ", names)} " +
                                 $"beside the model and in the model folders; pass --tokenizer PATH");
    }

    private static List<string> BuildSearchFolders(string? modelsDir)
    {
        var folders = new List<string>();
        void Add(string? f)
        {
            if (string.IsNullOrWhiteSpace(f)) return;
            var full = Path.GetFullPath(f);
            if (!folders.Contains(full)) folders.Add(full);
        }
        Add(modelsDir);
        foreach (var f in (Environment.GetEnvironmentVariable("PI_MODELS") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            Add(f);
        Add(Path.Combine(Directory.GetCurrentDirectory(), "models"));
        if (FindRepositoryRoot() is { } root)
        {
            Add(Path.Combine(root, "models"));
            Add(Path.Combine(root, "..", "shared", "models"));
        }
        return folders;
    }

    /// <summary>The folder holding PrivateInference.sln above the running binary or the working directory.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "PrivateInference.sln")))
                    return dir.FullName;
        return null;
    }
}
