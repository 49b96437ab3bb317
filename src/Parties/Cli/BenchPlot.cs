using ScottPlot;


namespace PrivateInference.Parties.Cli;

/// <summary>PNG of latency (left axis) and bytes sent per token by the busiest party (right axis) against context,
/// one pair of lines per scheme / network / scope found in the rows, for `pi bench private --plot`.</summary>
internal static class BenchPlot
{
    public static void Write(string path, string title, IReadOnlyList<PrivateBenchRow> rows)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("context (tokens)");
        plot.Axes.Left.Label.Text = "decode step latency, median (ms)";
        plot.Axes.Right.Label.Text = "bytes sent per step, busiest party (MB)";
        foreach (var group in rows.GroupBy(r => $"{r.Scheme} {r.Network} {r.Cache}"))
        {
            double[] xs = group.Select(r => (double)r.Context).ToArray();
            var latency = plot.Add.Scatter(xs, group.Select(r => r.MedianMs).ToArray());
            latency.LegendText = $"{group.Key}: latency";
            var bytes = plot.Add.Scatter(xs, group.Select(r => r.BytesSentPerParty.Max() / 1048576.0).ToArray());
            bytes.LegendText = $"{group.Key}: MB sent";
            bytes.LinePattern = LinePattern.Dashed;
            bytes.Axes.YAxis = plot.Axes.Right;
        }
        plot.ShowLegend(Alignment.UpperLeft);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(path, 900, 540);
    }
}
