using PrivateInference.Kernels.Random;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// Roles and randomness of the gates that P0 and P1 run on additive 2-out-of-2 shares with P2 as their helper: in 2pc
/// P2 is the dealer; in 3pc replicated shares convert locally to this form (see <c>IScheme.ToPair</c>). The helper
/// prepares masks and bit shares from its pair keys with P0 and P1 (P0's parts cost no message) and, in the gates'
/// last round, returns shares of results it computed on values masked by randomness that only P0 and P1 share.
/// The ids are roles: over a relabeled channel and keys (<see cref="Communication.PartyRoles"/>) any compute party
/// plays P2 here.
/// </summary>
internal abstract class HelperProtocol(Channel channel, PairwiseKeys keys)
{
    protected const int Helper = 2;

    protected Channel Ch { get; } = channel;
    protected int Me { get; } = channel.PartyId;
    protected bool IsCompute => Me < 2;
    protected bool IsHelper => Me == Helper;
    protected int Other => 1 - Me;

    protected ulong[] Draw(int peer, int n)
    {
        var r = new ulong[n];
        using var s = keys.Stream(peer);
        s.Fill(r);
        return r;
    }

    /// <summary>The stream P0 and P1 share (the helper never opens it).</summary>
    protected AesCtrPrg Common() => keys.Stream(Other);

    /// <summary>n uniform elements of Z_p from a stream: two per 64-bit draw, each by a multiply-shift of 32 bits
    /// (Lemire's reduction; bias below p / 2^32 ≤ 1.6e-8).</summary>
    protected byte[] DrawModP(int peer, int n, int p)
    {
        var u = Draw(peer, (n + 1) / 2);
        var r = new byte[n];
        for (int i = 0; i < n; i++) r[i] = (byte)Below(Half(u, i), p);
        return r;
    }

    /// <summary>The i-th 32-bit half of a draw buffer.</summary>
    protected static uint Half(ReadOnlySpan<ulong> u, int i) => (uint)(u[i >> 1] >> ((i & 1) << 5));

    /// <summary>A 32-bit draw mapped to [0, range) by multiply-shift (bias below range / 2^32).</summary>
    protected static int Below(uint r, int range) => (int)(((ulong)r * (uint)range) >> 32);

    protected static Share One(ulong[] v) => new(v.Length, [v]);

    protected Share None(int n) => Share.Empty(n, 0);

    /// <summary>P0 and P1 swap masked values and add them up: one round (the helper counts it too, idle).</summary>
    protected ulong[] Open(ulong[] mine)
    {
        if (!IsCompute) { if (IsHelper) Ch.Round(); return []; }
        SendOpen(mine);
        Ch.Round();
        return ReceiveOpen(mine);
    }

    /// <summary>The first half of <see cref="Open"/>, for a gate written as round steps: P0 and P1 send their masked values.</summary>
    protected void SendOpen(ulong[] mine)
    {
        if (IsCompute) Ch.Send(Other, mine);
    }

    /// <summary><see cref="SendOpen(ulong[])"/> in narrow words (<see cref="NarrowWords"/>): consecutive segments of
    /// <paramref name="mine"/>, each needed only modulo 2^bits by its receiver.</summary>
    protected void SendOpen(ulong[] mine, IReadOnlyList<(int Length, int Bits)> segments)
    {
        if (!IsCompute) return;
        var bytes = new byte[segments.Sum(s => (long)s.Length * NarrowWords.Bytes(s.Bits))];
        int at = 0, pos = 0;
        foreach (var (length, bits) in segments)
        {
            int b = NarrowWords.Bytes(bits);
            NarrowWords.Write(mine.AsSpan(at, length), b, bytes.AsSpan(pos));
            at += length; pos += length * b;
        }
        Ch.Send(Other, bytes);
    }

    /// <summary>The sums of a <see cref="SendOpen(ulong[], IReadOnlyList{ValueTuple{int, int}})"/>, each segment
    /// reduced modulo 2^bits.</summary>
    protected ulong[] ReceiveOpen(ulong[] mine, IReadOnlyList<(int Length, int Bits)> segments)
    {
        if (!IsCompute) return [];
        var bytes = new byte[segments.Sum(s => (long)s.Length * NarrowWords.Bytes(s.Bits))];
        Ch.Receive(Other, bytes);
        var sums = (ulong[])mine.Clone();
        int at = 0, pos = 0;
        foreach (var (length, bits) in segments)
        {
            int b = NarrowWords.Bytes(bits);
            var part = sums.AsSpan(at, length);
            NarrowWords.AddTo(bytes.AsSpan(pos), b, part);
            ulong mask = NarrowWords.Mask(bits);
            for (int i = 0; i < part.Length; i++) part[i] &= mask;
            at += length; pos += length * b;
        }
        return sums;
    }

    /// <summary>Sends words needed by the receiver only modulo 2^bits, in ⌈bits/8⌉ bytes each (<see cref="NarrowWords"/>).</summary>
    protected void SendWords(int to, ulong[] words, int bits)
    {
        if (bits >= 64) { Ch.Send(to, words); return; }
        int b = NarrowWords.Bytes(bits);
        var bytes = new byte[(long)words.Length * b];
        NarrowWords.Write(words, b, bytes);
        Ch.Send(to, bytes);
    }

    /// <summary>The words of <see cref="SendWords"/>, zero-extended (right modulo 2^bits).</summary>
    protected ulong[] ReceiveWords(int from, int n, int bits)
    {
        if (bits >= 64) return Ch.ReceiveUlongs(from, n);
        int b = NarrowWords.Bytes(bits);
        var bytes = new byte[(long)n * b];
        Ch.Receive(from, bytes);
        var words = new ulong[n];
        NarrowWords.AddTo(bytes, b, words);
        return words;
    }

    /// <summary>The second half of <see cref="Open"/>, in the step after <see cref="SendOpen"/>: the sums.</summary>
    protected ulong[] ReceiveOpen(ulong[] mine)
    {
        if (!IsCompute) return [];
        var theirs = Ch.ReceiveUlongs(Other, mine.Length);
        for (int i = 0; i < mine.Length; i++) theirs[i] += mine[i];
        return theirs;
    }
}
