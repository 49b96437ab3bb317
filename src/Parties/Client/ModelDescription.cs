using System.Text.Json;
using PrivateInference.Engine.Models;
using PrivateInference.Engine;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Jobs;


namespace PrivateInference.Parties.Client;

/// <summary>
/// The public description of a shared model: everything a client needs to run sessions from the parties' stored
/// shares without the checkpoint (the shape, the nonlinear domains the owner derived from the weights, the model hash,
/// and the tokenizer file, copied beside the description). <c>pi owner share --description FILE</c> writes it.
/// </summary>
public sealed record ModelDescription(string ModelHash, LlamaConfig Config, NonlinearDomains Domains, string Tokenizer)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private sealed record Document(string ModelHash, int Dim, int HiddenDim, int Layers, int Heads, int KvHeads, int VocabSize, int SeqLen,
        bool SharedClassifier, float RmsEps, float RopeTheta, int ScoreRangeLog2, int GateRangeLog2, string Tokenizer);

    /// <summary>Writes the description and copies the tokenizer beside it; returns the paths written.</summary>
    public static ModelDescription Write(string path, LlamaConfig config, NonlinearDomains domains, string tokenizerPath)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var tokenizerName = Path.GetFileName(tokenizerPath);
        var copy = Path.Combine(directory, tokenizerName);
        if (Path.GetFullPath(tokenizerPath) != copy)
            File.Copy(tokenizerPath, copy, overwrite: true);
        var c = config;
        var hash = PrivateJobArguments.ModelHash(c, domains);
        File.WriteAllText(path, JsonSerializer.Serialize(new Document(hash, c.Dim, c.HiddenDim, c.Layers, c.Heads, c.KvHeads, c.VocabSize,
            c.SeqLen, c.SharedClassifier, c.RmsEps, c.RopeTheta, domains.ScoreLog2, domains.GateLog2, tokenizerName), Json) + Environment.NewLine);
        return new ModelDescription(hash, c, domains, copy);
    }

    /// <summary>Reads a description; throws <see cref="InputException"/> with one line when it is missing, malformed, or
    /// its hash does not match its shape.</summary>
    public static ModelDescription Load(string path)
    {
        Document? d;
        try
        {
            d = JsonSerializer.Deserialize<Document>(File.ReadAllText(path), Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"cannot read model description '{path}': {e.Message}");
        }
        catch (JsonException e)
        {
            throw new InputException($"model description '{path}' is not valid JSON: {e.Message}");
        }
        if (d is null || d.ModelHash is null || d.Tokenizer is null)
            throw new InputException($"model description '{path}' lacks model_hash or tokenizer");
        var config = new LlamaConfig(d.Dim, d.HiddenDim, d.Layers, d.Heads, d.KvHeads, d.VocabSize, d.SeqLen, d.SharedClassifier, d.RmsEps, d.RopeTheta);
        NonlinearDomains domains;
        try
        {
            config.Validate();
            domains = new NonlinearDomains(d.ScoreRangeLog2, d.GateRangeLog2).Validated();
        }
        catch (InputException e)
        {
            throw new InputException($"model description '{path}': {e.Message}");
        }
        if (PrivateJobArguments.ModelHash(config, domains) != d.ModelHash)
            throw new InputException($"model description '{path}': model_hash {d.ModelHash} does not match the shape and domains it describes");
        var tokenizer = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, d.Tokenizer);
        return new ModelDescription(d.ModelHash, config, domains, tokenizer);
    }
}
