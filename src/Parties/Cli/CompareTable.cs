using System.Globalization;
using System.Text;
using PrivateInference.Engine.Evaluation;


namespace PrivateInference.Parties.Cli;

/// <summary>The Markdown table `pi compare` prints, one row per cache.</summary>
public static class CompareTable
{
    public static string Markdown(IEnumerable<KvCacheComparisonRow> rows)
    {
        var s = new StringBuilder();
        s.AppendLine("| cache | window | perplexity | Δ vs fp32 | mean NLL | agreement | same prefix | bytes/token | bytes/token/layer | × smaller than fp16 | held bytes/token | quantized share | remat FLOPs/token | tokens/s |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Cache} | {r.RecentWindow} | {r.Perplexity:F4} | {(r.PerplexityChangePercent is { } p ? $"{p:+0.00;-0.00;0.00}%" : "-")} | {r.MeanNll:F4} | " +
                $"{r.Agreement:P1} | {r.MatchingPrefix}/{r.AgreementTokens} | {r.CacheBytesPerToken:0.#} | {r.CacheBytesPerTokenPerLayer:0.##} | " +
                $"{r.RatioVsFp16:F2} | {r.HeldBytesPerToken:0.#} | {r.QuantizedShare:P1} | {r.RematFlopsPerToken:0} | {r.TokensPerSecond:F0} |"));
        return s.ToString().TrimEnd();
    }
}
