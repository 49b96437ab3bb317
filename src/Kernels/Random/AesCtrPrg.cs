using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace PrivateInference.Kernels.Random;

/// <summary>
/// AES-128-CTR keystream as a PRG. Counter blocks are (nonce, block index) written straight into the
/// destination and encrypted in place with one ECB call, which uses AES-NI and runs ~7x faster than
/// BouncyCastle's CTR mode here. The nonce separates independent streams under one key: two parties holding
/// the same key and nonce draw identical values, which is how correlated randomness costs no messages.
/// Not thread-safe; output is consumed in whole 16-byte blocks (the rest of a partly used block is dropped) so that
/// both holders of a stream stay aligned as long as they request the same lengths.
/// </summary>
public sealed class AesCtrPrg : IDisposable
{
    private readonly Aes _aes;
    private readonly bool _ownsAes;
    private readonly ulong _nonce;
    private ulong _block;

    public AesCtrPrg(ReadOnlySpan<byte> key, ulong nonce)
    {
        if (key.Length != 16 && key.Length != 32) throw new ArgumentException("AES key must be 16 or 32 bytes", nameof(key));
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _ownsAes = true;
        _nonce = nonce;
    }

    /// <summary>A stream over an already keyed AES instance (key schedule shared between many nonces).</summary>
    public AesCtrPrg(Aes keyed, ulong nonce)
    {
        _aes = keyed;
        _nonce = nonce;
    }

    /// <summary>A stream keyed from the OS CSPRNG: private randomness of one party.</summary>
    public static AesCtrPrg CreateRandom()
    {
        Span<byte> k = stackalloc byte[16];
        RandomNumberGenerator.Fill(k);
        return new AesCtrPrg(k, 0);
    }

    public void Fill(Span<ulong> dst) => Fill(MemoryMarshal.AsBytes(dst));

    public void Fill(Span<byte> dst)
    {
        int full = dst.Length & ~15;
        const int chunk = 1 << 16;
        for (int off = 0; off < full; off += chunk)
        {
            var part = dst.Slice(off, Math.Min(chunk, full - off));
            for (int i = 0; i < part.Length; i += 16)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(part.Slice(i, 8), _nonce);
                BinaryPrimitives.WriteUInt64LittleEndian(part.Slice(i + 8, 8), _block++);
            }
            _aes.EncryptEcb(part, part, PaddingMode.None);
        }
        if (full < dst.Length)
        {
            Span<byte> tmp = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(tmp, _nonce);
            BinaryPrimitives.WriteUInt64LittleEndian(tmp[8..], _block++);
            _aes.EncryptEcb(tmp, tmp, PaddingMode.None);
            tmp[..(dst.Length - full)].CopyTo(dst[full..]);
        }
    }

    public ulong[] NextUlongs(int count)
    {
        var r = new ulong[count];
        Fill(r);
        return r;
    }

    public void Dispose()
    {
        if (_ownsAes) _aes.Dispose();
    }
}
