using System.Globalization;
using System.Text;
using PrivateInference.Engine.Private;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Evaluation;

/// <summary>One mode's generation in a comparison, with its per-party costs when it ran privately.</summary>
public sealed record ComparedGeneration(GenerationRun Run, PrivateRunSummary? Cost);

/// <summary>One mode's figures against the reference (the first mode).</summary>
public sealed record GenerationComparisonRow(
    string Mode, int Tokens, double Agreement, int? FirstDivergence, double MaxLogitError, double PrefillMs, double MedianMs, double P90Ms,
    double Slowdown, long[]? BytesSentPerParty, long? Rounds, double MaxReferenceLogit = 0);

/// <summary>
/// `pi compare`'s evaluation: the same greedy generation in several modes (plaintext caches, private schemes), each
/// against the first: token agreement, first divergence, largest logit error, latency and slowdown, and the private
/// runs' bytes and rounds per token; as rows and as a Markdown report with the tokens side by side. Running the modes
/// is the caller's (the CLI starts the parties).
/// </summary>
public static class GenerationComparison
{
    public static IReadOnlyList<GenerationComparisonRow> Compare(IReadOnlyList<ComparedGeneration> runs)
    {
        if (runs.Count == 0) throw new ArgumentException("nothing to compare");
        var reference = runs[0].Run;
        double refMs = PrivateRunSummary.Median(reference.DecodeMs);
        return runs.Select(compared =>
        {
            var (run, cost) = compared;
            int agree = run.Tokens.Zip(reference.Tokens).Count(p => p.First == p.Second);
            double agreement = reference.Tokens.Count == 0 ? 1 : (double)agree / Math.Max(reference.Tokens.Count, run.Tokens.Count);
            var errors = GenerationRun.MaxLogitError(reference, run);
            // The scale the error is read against: the reference's largest |logit| over the steps compared (a model
            // with a scaled residual stream has logits hundreds of times larger, and errors with them).
            double largest = reference.Logits.Take(errors.Count).Select(l => l.Length == 0 ? 0 : l.Max(Math.Abs)).DefaultIfEmpty(0).Max();
            double median = PrivateRunSummary.Median(run.DecodeMs);
            return new GenerationComparisonRow(run.Mode, run.Tokens.Count, agreement, GenerationRun.FirstDivergence(reference.Tokens, run.Tokens),
                errors.Count == 0 ? 0 : errors.Max(), run.PrefillMs, median, PrivateRunSummary.Percentile(run.DecodeMs, 0.9), median / refMs,
                cost?.DecodeBytesPerTokenPerParty, cost?.DecodeRoundsPerTokenPerParty.Max(), largest);
        }).ToArray();
    }

    /// <summary>The report: a header, the table of <see cref="Compare"/>, and the tokens side by side (differences in bold).</summary>
    public static string Markdown(IReadOnlyList<ComparedGeneration> runs, IReadOnlyList<GenerationComparisonRow> rows, Llama2cTokenizer tokenizer,
        string header)
    {
        var reference = runs[0].Run;
        var sb = new StringBuilder();
        sb.AppendLine(header);
        sb.AppendLine();
        sb.AppendLine("| mode | tokens | agreement | first divergence | max \\|logit error\\| (of max \\|logit\\|) | prefill ms | decode median ms | decode p90 ms | slowdown | bytes sent per token (P0/P1/P2) | rounds per token |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            string bytes = r.BytesSentPerParty is null ? "–" : string.Join(" / ", r.BytesSentPerParty.Select(Kb));
            string rounds = r.Rounds is { } n ? n.ToString(CultureInfo.InvariantCulture) : "–";
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Mode} | {r.Tokens} | {r.Agreement:P1} | {(r.FirstDivergence is { } d ? d.ToString(CultureInfo.InvariantCulture) : "none")} | {r.MaxLogitError:G3} (of {r.MaxReferenceLogit:G3}) | " +
                $"{r.PrefillMs:F1} | {r.MedianMs:F3} | {r.P90Ms:F3} | {r.Slowdown:F1}x | {bytes} | {rounds} |"));
        }
        sb.AppendLine();
        sb.AppendLine("Tokens side by side:");
        sb.AppendLine();
        sb.AppendLine("| step | " + string.Join(" | ", runs.Select(r => r.Run.Mode)) + " |");
        sb.AppendLine("|---:|" + string.Concat(runs.Select(_ => "---|")));
        int steps = runs.Max(r => r.Run.Tokens.Count);
        for (int i = 0; i < steps; i++)
        {
            var cells = runs.Select(r =>
            {
                if (i >= r.Run.Tokens.Count) return "";
                string piece = tokenizer.Piece(r.Run.Tokens[i]).Replace("\n", "\\n").Replace("|", "\\|");
                bool differs = i >= reference.Tokens.Count || reference.Tokens[i] != r.Run.Tokens[i];
                return differs ? $"**`{piece}`**" : $"`{piece}`";
            });
            sb.AppendLine($"| {i} | {string.Join(" | ", cells)} |");
        }
        return sb.ToString();
    }

    private static string Kb(long bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:F2} MiB" : $"{bytes / 1024.0:F1} KiB";
}
