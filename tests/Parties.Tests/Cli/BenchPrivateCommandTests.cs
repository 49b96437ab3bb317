namespace PrivateInference.Parties.Tests.Cli;

/// <summary>`pi bench private`'s shape and plot options: bad input is one line and a non-zero exit, before any party
/// starts.</summary>
public sealed class BenchPrivateCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string[]> BadInputs => new()
    {
        { "--dim must be a positive integer", ["bench", "private", "--preset", "stories260K", "--dim", "0"] },
        { "is not a multiple of n_heads", ["bench", "private", "--preset", "stories260K", "--heads", "7"] },
        { "apply to --preset models only", ["bench", "private", "--dim", "128"] },
        { "--reference-ranges must read", ["bench", "private", "--preset", "stories260K", "--context", "16", "--reference-ranges", "2-1,3-4"] },
        { "cache policy option select", ["bench", "private", "--preset", "stories260K", "--cache", "mpcache:select=bogus"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadShapeOrPlotInputIsOneLineOnStderr(string expected, string[] arguments)
    {
        var (code, stdout, stderr) = await PiProcessRunner.RunAsync(Limit, arguments);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("pi: error:", StringComparison.Ordinal));
        Assert.Equal("", stdout.Trim());
    }
}
