namespace PrivateInference.Engine.Evaluation;

/// <summary>One cache measured by <see cref="KvCacheComparison"/>; serialized as a JSON row with snake_case names.</summary>
public sealed record KvCacheComparisonRow(
    string Mode,
    string Model,
    string Cache,
    int? Bits,
    string RecentWindow,
    int Chunks,
    long Tokens,
    double MeanNll,
    double Perplexity,
    double? PerplexityChangePercent,
    int AgreementTokens,
    double Agreement,
    int MatchingPrefix,
    double CacheBytesPerToken,
    double CacheBytesPerTokenPerLayer,
    double RatioVsFp16,
    double HeldBytesPerToken,
    double QuantizedShare,
    double RematFlopsPerToken,
    double TokensPerSecond);
