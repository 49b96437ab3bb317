using System.Globalization;
using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// A cache chosen on the command line: <c>fp32</c> (alias <c>plain</c>), <c>fp16</c>, or <c>kivi:B</c>, <c>xquant:B</c>,
/// <c>xquant-cl:B</c> with B in {2, 3, 4}, each optionally followed by <c>:window=N|off</c> (the fp16 recent window,
/// default 128 tokens) and, for xquant, <c>:latent=on|off</c> (the SVD latent; on by default for grouped-query models).
/// </summary>
public sealed record KvCacheSpec(KvCacheKind Kind, int? Bits = null, int RecentWindow = 0, bool? Latent = null)
{
    public const int DefaultRecentWindow = 128;
    public static readonly IReadOnlyList<int> SupportedBits = [2, 3, 4];
    private const string Grammar = "fp32 | plain | fp16 | kivi:B | xquant:B | xquant-cl:B (B in 2, 3, 4), " +
                                   "optionally followed by :window=N|off, and for xquant :latent=on|off";

    public static KvCacheSpec Fp32 { get; } = new(KvCacheKind.Fp32);

    /// <summary>The short name: fp32, fp16, kivi:2, xquant:3, xquant-cl:4 (xquant's latent noted when forced off).</summary>
    public string Name => Kind switch
    {
        KvCacheKind.Fp32 => "fp32",
        KvCacheKind.Fp16 => "fp16",
        KvCacheKind.Kivi => $"kivi:{Bits}",
        KvCacheKind.XQuant => Latent == false ? $"xquant:{Bits}:latent=off" : $"xquant:{Bits}",
        _ => $"xquant-cl:{Bits}",
    };

    public bool IsQuantized => Bits != null;

    /// <summary>The window as the user would write it: a token count, or off.</summary>
    public string WindowText => !IsQuantized ? "-" : RecentWindow == 0 ? "off" : RecentWindow.ToString(CultureInfo.InvariantCulture);

    public static KvCacheSpec Parse(string text, int defaultWindow = DefaultRecentWindow)
    {
        var parts = (text ?? "").Trim().ToLowerInvariant().Split(':');
        KvCacheKind kind = parts[0] switch
        {
            "fp32" or "plain" => KvCacheKind.Fp32,
            "fp16" => KvCacheKind.Fp16,
            "kivi" => KvCacheKind.Kivi,
            "xquant" => KvCacheKind.XQuant,
            "xquant-cl" => KvCacheKind.XQuantCl,
            _ => throw new InputException($"unknown KV cache '{text}'; expected {Grammar}"),
        };
        if (kind is KvCacheKind.Fp32 or KvCacheKind.Fp16)
            return parts.Length == 1 ? new KvCacheSpec(kind) : throw new InputException($"KV cache '{text}': {parts[0]} takes no bit width or options");
        if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int bits))
            throw new InputException($"KV cache '{text}' needs a bit width, e.g. {parts[0]}:3; expected {Grammar}");
        if (!SupportedBits.Contains(bits))
            throw new InputException($"KV cache '{text}': {bits} bits is not supported; use 2, 3 or 4");
        int window = ParseWindow(defaultWindow.ToString(CultureInfo.InvariantCulture), "--recent-window");
        bool? latent = null;
        foreach (var option in parts.Skip(2))
        {
            var kv = option.Split('=', 2);
            switch (kv[0])
            {
                case "window" when kv.Length == 2:
                    window = ParseWindow(kv[1], $"KV cache '{text}'");
                    break;
                case "latent" when kv.Length == 2 && kind == KvCacheKind.XQuant && kv[1] is "on" or "off":
                    latent = kv[1] == "on";
                    break;
                default:
                    throw new InputException($"KV cache '{text}': unknown option '{option}'; expected {Grammar}");
            }
        }
        return new KvCacheSpec(kind, bits, window, latent);
    }

    /// <summary>A recent-window size: a non-negative token count, or "off" (0).</summary>
    public static int ParseWindow(string text, string what)
    {
        if (text.Trim().Equals("off", StringComparison.OrdinalIgnoreCase)) return 0;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return n;
        throw new InputException($"{what}: recent window '{text}' is neither a token count nor 'off'");
    }

    /// <summary>Whether xquant on this model caches the SVD latents (default: when the model uses grouped-query attention).</summary>
    public bool UsesLatent(LlamaConfig config) => Kind == KvCacheKind.XQuant && (Latent ?? config.KvDim < config.Dim);

    /// <summary>Builds caches of this spec for <paramref name="weights"/>; the offline work (SVD, RoPE tables) is done
    /// once here and shared by every cache the factory makes.</summary>
    public Func<IKvCache> Factory(LlamaWeights weights)
    {
        var c = weights.Config;
        switch (Kind)
        {
            case KvCacheKind.Fp32: return () => new Fp32KvCache(c);
            case KvCacheKind.Fp16: return () => new Fp16KvCache(c);
            case KvCacheKind.Kivi: return () => new KiviKvCache(c, Bits, RecentWindow);
            case KvCacheKind.XQuant:
            {
                var rope = new RopeTable(c);
                var latents = UsesLatent(c) ? XQuantLatents.Of(weights) : null;
                return () => new XQuantCache(weights, Bits, RecentWindow, latents, rope);
            }
            default:
            {
                var rope = new RopeTable(c);
                return () => new XQuantClCache(weights, Bits, RecentWindow, rope);
            }
        }
    }

    public CacheFootprint Footprint(LlamaConfig c)
    {
        long fp16 = Fp16KvCache.BytesPerToken(c);
        IEnumerable<StreamFormat> formats = Kind switch
        {
            KvCacheKind.Fp32 => [],
            KvCacheKind.Fp16 => [],
            KvCacheKind.Kivi => Enumerable.Range(0, c.Layers).SelectMany(_ => new[] { KiviKvCache.KeyFormat(c, Bits), KiviKvCache.ValueFormat(c, Bits) }),
            KvCacheKind.XQuant => Enumerable.Range(0, c.Layers).SelectMany(_ => XQuantCache.LayerFormats(c, Bits, UsesLatent(c))),
            _ => Enumerable.Range(0, c.Layers).Select(l => XQuantClCache.LayerFormat(c, l, Bits)),
        };
        return Kind switch
        {
            KvCacheKind.Fp32 => new CacheFootprint(c.Layers, 2 * fp16, 2 * fp16, fp16),
            KvCacheKind.Fp16 => new CacheFootprint(c.Layers, fp16, fp16, fp16),
            _ => new CacheFootprint(c.Layers, formats.Sum(f => f.QuantizedBytesPerToken), formats.Sum(f => f.RecentBytesPerRow), fp16),
        };
    }
}
