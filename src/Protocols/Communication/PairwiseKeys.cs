using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using PrivateInference.Kernels.Random;

namespace PrivateInference.Protocols.Communication;

/// <summary>
/// One AES key per pair of parties, agreed at session start by X25519 and expanded with HKDF-SHA256.
/// Every use of a pair key opens a fresh AES-CTR stream whose nonce is a per-pair use counter; both holders
/// open streams of a pair in the same order (SPMD), so they draw identical values without any message.
/// </summary>
public sealed class PairwiseKeys : IDisposable
{
    // Keyed by the physical party ids; a relabeled view (Rotated) maps its callers' ids onto them.
    private readonly Dictionary<int, Aes> _keys;
    private readonly Dictionary<int, ulong> _uses;
    /// <summary>A fork's last usable nonce (exclusive) per pair; null for the session's own keys.</summary>
    private readonly Dictionary<int, ulong>? _limit;
    /// <summary>The compute parties' roles shifted by this much (<see cref="PartyRoles"/>); 0 for the physical ids.</summary>
    private readonly int _shift;
    /// <summary>A relabeled view borrows its parent's keys and counters, so it disposes nothing.</summary>
    private readonly bool _borrowed;

    private PairwiseKeys(Dictionary<int, ulong>? limit = null, Dictionary<int, Aes>? keys = null, Dictionary<int, ulong>? uses = null,
        int shift = 0, bool borrowed = false)
    {
        _limit = limit;
        _keys = keys ?? new();
        _uses = uses ?? new();
        _shift = shift;
        _borrowed = borrowed;
    }

    /// <summary>
    /// The same keys seen with the compute parties' roles rotated by <paramref name="shift"/> (<see cref="PartyRoles"/>):
    /// a stream with role r is the stream with physical party r + shift. The views share the use counters of each
    /// physical pair, so no nonce repeats whichever view draws.
    /// </summary>
    public PairwiseKeys Rotated(int shift)
    {
        if (_limit is not null) throw new InvalidOperationException("only the session's own keys are relabeled");
        return new PairwiseKeys(null, _keys, _uses, PartyRoles.Normalize(shift), borrowed: true);
    }

    /// <summary>Streams per fork: its nonces are 2^63 + (the parent's use counter)·2^20 + i for i below this.</summary>
    private const int ForkStreams = 1 << 20;

    /// <summary>
    /// Keys for a protocol that runs beside others in the same rounds (<c>Circuits.RoundSteps.Lockstep</c>): the same
    /// pair keys over a nonce range of its own, taken from one use of each pair's counter, so the interleaving of
    /// the branches' draws does not matter. Every participant forks at the same point of the program (SPMD), and the
    /// session's own nonces stay below 2^63, so no stream repeats.
    /// </summary>
    public PairwiseKeys Fork()
    {
        if (_limit is not null) throw new InvalidOperationException("a forked key set is not forked again");
        var limit = new Dictionary<int, ulong>();
        var child = new PairwiseKeys(limit, shift: _shift, borrowed: true);
        foreach (var (peer, aes) in _keys)
        {
            ulong n = _uses[peer]++;
            ulong start = (1UL << 63) + n * ForkStreams;
            child._keys[peer] = aes;
            child._uses[peer] = start;
            limit[peer] = start + ForkStreams;
        }
        return child;
    }

    /// <summary>Runs the key agreement with every other participant over <paramref name="channel"/> (one round).</summary>
    public static PairwiseKeys Establish(Channel channel, IReadOnlyCollection<int> participants, string sessionLabel = "")
    {
        var me = channel.PartyId;
        var random = new SecureRandom();
        var priv = new X25519PrivateKeyParameters(random);
        var pub = priv.GeneratePublicKey().GetEncoded();
        var keys = new PairwiseKeys();
        using var _ = channel.Scope("setup");
        foreach (var p in participants.Where(p => p != me)) channel.Send(p, pub);
        var peerPub = new byte[X25519PublicKeyParameters.KeySize];
        foreach (var p in participants.Where(p => p != me))
        {
            channel.Receive(p, peerPub);
            var agreement = new X25519Agreement();
            agreement.Init(priv);
            var secret = new byte[agreement.AgreementSize];
            agreement.CalculateAgreement(new X25519PublicKeyParameters(peerPub), secret, 0);
            var hkdf = new HkdfBytesGenerator(new Sha256Digest());
            int lo = Math.Min(me, p), hi = Math.Max(me, p);
            hkdf.Init(new HkdfParameters(secret, Encoding.UTF8.GetBytes("PrivateInference/pairwise-prg/v1"),
                Encoding.UTF8.GetBytes($"{sessionLabel}|{lo}-{hi}")));
            var key = new byte[16];
            hkdf.GenerateBytes(key, 0, key.Length);
            var aes = Aes.Create();
            aes.Key = key;
            keys._keys[p] = aes;
            keys._uses[p] = 0;
        }
        channel.Round();
        return keys;
    }

    /// <summary>The next stream shared with <paramref name="peer"/>.</summary>
    public AesCtrPrg Stream(int peer)
    {
        peer = PartyRoles.Physical(peer, _shift);
        if (!_keys.TryGetValue(peer, out var aes)) throw new InvalidOperationException($"no key shared with party {peer}");
        ulong n = _uses[peer];
        if (_limit is not null && n >= _limit[peer]) throw new InvalidOperationException("a forked key set ran out of streams");
        _uses[peer] = n + 1;
        return new AesCtrPrg(aes, n);
    }

    public void Dispose()
    {
        if (_borrowed) return;   // a fork or a relabeled view borrows its parent's keys
        foreach (var a in _keys.Values) a.Dispose();
    }
}
