namespace PrivateInference.Parties.Cli;

/// <summary>PNG of latency and bytes per token against context for `pi bench private --plot`.</summary>
internal static class BenchPlot
{
    public static void Write(string path, string title, IReadOnlyList<PrivateBenchRow> rows) =>
        throw new Engine.InputException("--plot is not available yet");
}
