using System.CommandLine;
using System.Text.Json;
using PrivateInference.Parties.Cli;


namespace PrivateInference.Parties.Tests.Cli;

/// <summary>`pi compare` end to end on stories260K (found in ../shared/models beside the repository).</summary>
[Collection("Console")]
public class CompareCommandTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        var root = new RootCommand { CompareCommand.Create() };
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (savedOut, savedErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            return (root.Parse(args).Invoke(), stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedErr);
        }
    }

    [Fact]
    public void PrintsOneTableRowPerCacheAndWritesSnakeCaseJson()
    {
        var dir = Directory.CreateTempSubdirectory("pi-compare-");
        try
        {
            var text = Path.Combine(dir.FullName, "text.txt");
            File.WriteAllText(text, "Once upon a time, there was a little cat.\n\nTom had a red ball. He liked to play with it.\n");
            var json = Path.Combine(dir.FullName, "out.json");
            var (code, stdout, stderr) = Run("compare", "--model", "stories260K", "--text", text, "--tokens", "8",
                "--modes", "plain,xquant-cl:3:window=off,kivi:2", "--json", json);
            Assert.True(code == 0, stderr);
            Assert.Contains("| cache | window | perplexity |", stdout);
            Assert.Contains("| fp32 | - |", stdout);
            Assert.Contains("| xquant-cl:3 | off |", stdout);
            Assert.Contains("| kivi:2 | 128 |", stdout);

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.Equal(["fp32", "xquant-cl:3", "kivi:2"], rows.Select(r => r.GetProperty("cache").GetString()));
            foreach (var name in new[] { "mode", "perplexity", "mean_nll", "agreement", "cache_bytes_per_token", "ratio_vs_fp16", "remat_flops_per_token", "tokens_per_second" })
                Assert.True(rows[1].TryGetProperty(name, out _), $"row lacks {name}");
            Assert.Equal(120, rows[2].GetProperty("cache_bytes_per_token").GetDouble());
            Assert.StartsWith("pi compare ", doc.RootElement.GetProperty("command").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void UnknownCacheIsOneErrorLine()
    {
        var (code, _, stderr) = Run("compare", "--text", "unused.txt", "--modes", "plain,xquant:5");
        Assert.Equal(1, code);
        Assert.Equal("pi: error: KV cache 'xquant:5': 5 bits is not supported; use 2, 3 or 4", stderr.Trim());
    }
}
