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

/// <summary>PNG of each policy's ratios against the first (latency first/this, bytes first/this) against context, for
/// `pi bench private --ratio-plot`, with optional reference bands (another system's published range).</summary>
internal static class BenchRatioPlot
{
    /// <param name="reference">optional (latency low, latency high, bytes low, bytes high) drawn as shaded bands.</param>
    public static void Write(string path, string title, IReadOnlyList<PrivateBenchRow> rows, (double, double, double, double)? reference)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("context (tokens)");
        plot.YLabel("ratio against the first policy (higher is better)");
        string baseline = rows[0].Cache;
        if (reference is var (latLo, latHi, bytesLo, bytesHi))
        {
            var lat = plot.Add.VerticalSpan(latLo, latHi);
            lat.LegendText = $"reference latency range {latLo}-{latHi}x";
            lat.FillStyle.Color = Colors.Blue.WithAlpha(0.12);
            var bytes = plot.Add.VerticalSpan(bytesLo, bytesHi);
            bytes.LegendText = $"reference bytes range {bytesLo}-{bytesHi}x";
            bytes.FillStyle.Color = Colors.Orange.WithAlpha(0.12);
        }
        foreach (var group in rows.Where(r => r.Cache != baseline).GroupBy(r => $"{r.Scheme} {r.Network} {r.Cache}"))
        {
            var points = group.Select(r => (Row: r, Base: rows.First(b => b.Cache == baseline && b.Context == r.Context && b.Network == r.Network && b.Scheme == r.Scheme))).ToList();
            double[] xs = points.Select(p => (double)p.Row.Context).ToArray();
            var latency = plot.Add.Scatter(xs, points.Select(p => p.Base.MedianMs / p.Row.MedianMs).ToArray());
            latency.LegendText = $"{group.Key}: latency {baseline}/this";
            var bytes = plot.Add.Scatter(xs, points.Select(p => (double)p.Base.BytesSentPerParty.Max() / p.Row.BytesSentPerParty.Max()).ToArray());
            bytes.LegendText = $"{group.Key}: bytes {baseline}/this";
            bytes.LinePattern = LinePattern.Dashed;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic();
        plot.ShowLegend(Alignment.UpperLeft);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        plot.SavePng(path, 900, 540);
    }

    /// <summary>Parses "LAT_LO-LAT_HI,BYTES_LO-BYTES_HI", e.g. "1.8-2.01,3.39-8.37".</summary>
    public static (double, double, double, double) ParseReference(string text)
    {
        var parts = text.Split(',');
        double[] v = parts.Length == 2 ? parts.SelectMany(p => p.Split('-')).Select(x =>
            double.TryParse(x, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && d > 0 ? d : double.NaN).ToArray() : [];
        if (v.Length != 4 || v.Any(double.IsNaN) || v[0] > v[1] || v[2] > v[3])
            throw new PrivateInference.Engine.InputException($"--reference-ranges must read LAT_LO-LAT_HI,BYTES_LO-BYTES_HI (positive, low ≤ high), got '{text}'");
        return (v[0], v[1], v[2], v[3]);
    }
}
