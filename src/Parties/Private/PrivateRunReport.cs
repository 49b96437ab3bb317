using PrivateInference.Engine.Private;


namespace PrivateInference.Parties.Private;

/// <summary>The human summary (stderr) and the JSON row of a private run.</summary>
public static class PrivateRunReport
{
    public static string Describe(PrivateRunSettingsCli s, PrivateRunSummary r) =>
        $"pi: private {s.SchemeName} ({s.Parties} parties{(s.Scheme == Protocols.SchemeKind.TwoPcDealer ? " + dealer P2" : "")}), transport {s.Transport}, network {s.Network.Description}, links {Links(s)}\n" +
        $"pi: {r.Tokens} tokens; prefill {r.PrefillMs:F1} ms; decode per token median {r.DecodeMedianMs:F1} ms, p90 {r.DecodeP90Ms:F1} ms\n" +
        $"pi: bytes sent per party (P0, P1, P2): total {Join(r.BytesSentPerParty)}; weights setup {Join(r.SetupBytesPerParty)}; " +
        $"prefill {Join(r.PrefillBytesPerParty)}; per decode token {Join(r.DecodeBytesPerTokenPerParty)}; rounds per decode token {string.Join(" / ", r.DecodeRoundsPerTokenPerParty)}";

    public static object Row(PrivateRunSettingsCli s, string model, int promptTokens, PrivateRunSummary r) => new
    {
        Mode = "private", s.Scheme, SchemeName = s.SchemeName, s.Parties, s.Transport, Network = s.Network.Name, Links = Links(s), s.Insecure, Model = model,
        PromptTokens = promptTokens, r.Tokens, PrefillMs = r.PrefillMs, MedianMs = r.DecodeMedianMs, P90Ms = r.DecodeP90Ms,
        BytesSentPerParty = r.BytesSentPerParty, DecodeBytesPerTokenPerParty = r.DecodeBytesPerTokenPerParty,
        Rounds = r.DecodeRoundsPerTokenPerParty, SetupBytesPerParty = r.SetupBytesPerParty, PrefillBytesPerParty = r.PrefillBytesPerParty,
    };

    /// <summary>Plaintext is never silent: a run under --insecure says so in every report.</summary>
    public static string Links(PrivateRunSettingsCli s) => s.Transport == "inproc"
        ? "in-process"
        : s.Insecure ? "INSECURE plaintext h2c (--insecure)" : "mutual TLS with pinned certificates";

    /// <summary>Binary units, named as such (this said "MB" for MiB before).</summary>
    private static string Join(long[] values) => string.Join(" / ", values.Select(v => v >= 1 << 20 ? $"{v / 1048576.0:F2} MiB" : v >= 1024 ? $"{v / 1024.0:F1} KiB" : $"{v} B"));
}
