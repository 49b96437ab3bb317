namespace PrivateInference.Engine.Models;

/// <summary>Loads a checkpoint by its format: llama2.c `.bin` or Hugging Face `.safetensors`.</summary>
public static class ModelLoader
{
    public static LlamaWeights Load(string path) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? SafetensorsLlamaLoader.Load(path) : Llama2cCheckpoint.Load(path);
}
