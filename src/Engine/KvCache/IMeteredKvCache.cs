namespace PrivateInference.Engine.KvCache;

/// <summary>A KV cache that reports what it holds and what rebuilding K and V costs, for `pi compare`.</summary>
public interface IMeteredKvCache : IKvCache
{
    /// <summary>Exact bytes of cache state held now, over all layers (codes, scales, zero points, recent rows).</summary>
    long BytesHeld { get; }

    /// <summary>Floating-point operations spent so far rebuilding K and V from the cache (2 per multiply-add).</summary>
    long RematerializationFlops { get; }

    /// <summary>Cache entries (position × layer) attention has read so far.</summary>
    long AttendedEntries { get; }

    /// <summary>Of <see cref="AttendedEntries"/>, those that were quantized (outside the recent window).</summary>
    long QuantizedAttendedEntries { get; }
}
