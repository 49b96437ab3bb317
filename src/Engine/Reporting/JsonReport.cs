using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateInference.Engine.Reporting;

/// <summary>
/// The JSON every `--json FILE` writes: {"machine", "command", "rows": [flat snake_case objects]}.
/// </summary>
public static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static void Write(string path, string command, IEnumerable<object> rows)
    {
        var doc = new JsonObject
        {
            ["machine"] = MachineInfo.Describe(),
            ["command"] = command,
            ["rows"] = new JsonArray(rows.Select(r => JsonSerializer.SerializeToNode(r, r.GetType(), Options)).ToArray()),
        };
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, doc.ToJsonString(Options) + "\n");
    }
}
