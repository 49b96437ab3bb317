using System.Buffers.Binary;


namespace PrivateInference.Parties.Tests.Cli;

/// <summary>`pi generate` and `pi eval ppl` as a user runs them: stdout holds the text alone; bad input is one line.</summary>
public sealed class GenerateCommandTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("pi-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task PlainGreedyGenerationPrintsOnlyTheTextOnStdout()
    {
        var (code, stdout, stderr) = await PiProcessRunner.RunAsync(Limit, "generate", "--mode", "plain", "--temperature", "0", "--max-tokens", "20");
        Assert.Equal(0, code);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", stdout);
        Assert.DoesNotContain("tok/s", stdout);
        Assert.Contains("tok/s", stderr);
    }

    public static TheoryData<string, string[]> BadInputs => new()
    {
        { "model file not found", ["generate", "--mode", "plain", "--model", "/nonexistent/m.bin"] },
        { "not found as", ["generate", "--mode", "plain", "--model", "no-such-model"] },
        { "beyond the context", ["generate", "--mode", "plain", "--max-tokens", "600"] },
        { "--max-tokens must be at least 1", ["generate", "--mode", "plain", "--max-tokens", "0"] },
        { "tokenizer file not found", ["generate", "--mode", "plain", "--tokenizer", "/nonexistent/tok.bin"] },
        { "--temperature", ["generate", "--mode", "plain", "--temperature", "-1"] },
        { "text file not found", ["eval", "ppl", "--text", "/nonexistent/t.txt"] },
        { "Argument 'bogus' not recognized", ["generate", "--mode", "bogus"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInputIsOneLineOnStderrAndANonZeroExit(string expected, string[] arguments)
    {
        var (code, stdout, stderr) = await PiProcessRunner.RunAsync(Limit, arguments);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("pi: error:", StringComparison.Ordinal));
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public async Task CorruptModelHeaderIsReported()
    {
        var path = Path.Combine(_dir, "bad.bin");
        var header = new byte[28 + 64];
        int[] fields = [64, 172, 5, 7, 4, 512, 512]; // 64 dims over 7 heads
        for (int i = 0; i < 7; i++) BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(i * 4), fields[i]);
        File.WriteAllBytes(path, header);
        var (code, _, stderr) = await PiProcessRunner.RunAsync(Limit, "generate", "--mode", "plain", "--model", path);
        Assert.Equal(1, code);
        Assert.Contains("corrupt", stderr);
    }

    [Fact]
    public async Task NonUtf8TextIsReported()
    {
        var path = Path.Combine(_dir, "bad.txt");
        File.WriteAllBytes(path, [0x41, 0xFF, 0x42]);
        var (code, _, stderr) = await PiProcessRunner.RunAsync(Limit, "eval", "ppl", "--text", path);
        Assert.Equal(1, code);
        Assert.Contains("not valid UTF-8", stderr);
    }
}
