namespace PrivateInference.Engine.KvCache;

/// <summary>Which values of a cached [token][channel] stream share one scale and zero point.</summary>
public enum QuantizationAxis
{
    /// <summary>Each token's row, in groups of <see cref="StreamFormat.TokenGroup"/> channels (the whole row when
    /// shorter): KIVI's values, XQuant's X and its value latent.</summary>
    PerToken,

    /// <summary>Each channel over a block of <see cref="StreamFormat.ChannelBlockTokens"/> consecutive tokens: KIVI's
    /// keys and XQuant's key latent, whose outliers sit in fixed channels.</summary>
    PerChannel,
}
