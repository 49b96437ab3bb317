namespace PrivateInference.Engine.KvCache;

public enum KvCacheKind
{
    Fp32,
    Fp16,
    Kivi,
    XQuant,
    XQuantCl,
}
