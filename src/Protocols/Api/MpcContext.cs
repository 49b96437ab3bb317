using PrivateInference.Kernels.Ring;
using PrivateInference.Protocols.Aby3;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;
using PrivateInference.Protocols.Dealer2pc;
using PrivateInference.Protocols.FixedPoint;

namespace PrivateInference.Protocols;

/// <summary>
/// One party's handle on an MPC session, and the scheme-independent API the engine programs against.
/// SPMD: every participant (P0, P1, P2, and the client / model owner when present) runs the same program on
/// its own context, calling the same ops in the same order with the same public arguments; only input owners
/// pass values, and only the named receiver gets a reveal's result. The same program runs under both schemes.
/// </summary>
public sealed partial class MpcContext : IDisposable
{
    private MpcContext(SchemeKind scheme, Channel channel, PairwiseKeys keys, MpcOptions options)
    {
        Scheme = scheme;
        Channel = channel;
        _sessionKeys = keys;
        Options = options;
        _roles = _rolesByShift[0] = new RoleSet(scheme, channel, keys, 0);
    }

    /// <summary>The fixed-point widths every protocol here is built and tested for (docs/protocols.md, "Domains").</summary>
    public const int MinFracBits = 8, MaxFracBits = 24;

    /// <summary>Starts this party's side of a session: pairwise X25519 + HKDF keys with every participant (one round).</summary>
    public static MpcContext Create(SchemeKind scheme, ITransport transport, IReadOnlyCollection<int> participants, MpcOptions? options = null)
    {
        options ??= new MpcOptions();
        foreach (var p in PartyIds.ComputeParties)
            if (!participants.Contains(p)) throw new ArgumentException($"compute party {p} must take part in every session");
        if (!participants.Contains(transport.PartyId)) throw new ArgumentException("this party is not a participant");
        if (options.FracBits is < MinFracBits or > MaxFracBits)
            throw new ArgumentOutOfRangeException(nameof(options), $"fractional bits must be in {MinFracBits}..{MaxFracBits}: finer leaves products no room in Z_2^64, coarser too little precision");
        foreach (var (name, v, min) in new[] { ("score", options.ScoreRangeLog2, MinRangeLog2), ("gate", options.GateRangeLog2, MinGateRangeLog2) })
            if (v < min || v > NonlinearRangeLog2)
                throw new ArgumentOutOfRangeException(nameof(options), $"the {name} domain must be 2^{min}..2^{NonlinearRangeLog2}, not 2^{v}");
        var channel = new Channel(transport);
        var keys = PairwiseKeys.Establish(channel, participants, options.SessionLabel);
        return new MpcContext(scheme, channel, keys, options);
    }

    public SchemeKind Scheme { get; }
    public MpcOptions Options { get; }
    public int FracBits => Options.FracBits;
    public int PartyId => Channel.PartyId;
    /// <summary>Byte, message and round counters of this party, in total and per label.</summary>
    public Channel Channel { get; }
    /// <summary>True where this party holds shares of data (3pc: P0..P2; 2pc: P0, P1).</summary>
    public bool HoldsShares => _scheme.Components > 0;

    /// <summary>Counts everything inside under <paramref name="label"/> (labels nest).</summary>
    public IDisposable Scope(string label) => Channel.Scope(label);

    private SecretTensor T(int[] shape, int scale, Share s, bool pair = false, int ring = 64) => new(this, shape, scale, s, pair && TwoForms, _roles.Shift, ring);

    /// <summary>3pc: replicated shares and the 2-out-of-2 form differ (in 2pc they are one and the same).</summary>
    private bool TwoForms => !ReferenceEquals(_pair, _scheme);

    /// <summary>The protocols of x's form.</summary>
    private IScheme Of(SecretTensor x) => x.Pair ? _pair : _scheme;

    /// <summary>x on the 2-out-of-2 form (from replicated shares: local).</summary>
    private Share AsPair(SecretTensor x) => x.Pair ? x.Data : _scheme.ToPair(x.Data);

    /// <summary><see cref="AsPair"/> for an op that reads x only modulo 2^<paramref name="ring"/> (a narrower
    /// <see cref="SecretTensor.Ring"/> is accepted down to it).</summary>
    private Share AsPairInRing(SecretTensor x, int ring)
    {
        if (x.Ring < ring)
            throw new ArgumentException($"this op reads its input modulo 2^{ring}, but the tensor's shares are right modulo 2^{x.Ring} only");
        return x.Pair ? x.DataInRing : _scheme.ToPair(x.DataInRing);
    }

    /// <summary>x in the scheme's own form (from the 2-out-of-2 form in 3pc: one round).</summary>
    private Share InSchemeForm(SecretTensor x) => x.Pair ? _scheme.FromPair(x.Data) : x.Data;

    /// <summary>x's shares in the form an op on several operands runs on: the 2-out-of-2 one as soon as one of them is.</summary>
    private Share InForm(SecretTensor x, bool pair) => pair ? AsPair(x) : x.Data;

    private Share Zeros(int n) => Share.Empty(n, _scheme.Components);


    /// <summary>Shares of a public tensor (local, no communication): for constants that must enter secret products,
    /// such as the public rows of a selection one-hot (scale 0).</summary>
    public SecretTensor Public(ReadOnlySpan<double> values, int[] shape, int scale)
    {
        if (Count(shape) != values.Length) throw new ArgumentException("the shape must hold one element per value");
        return T(shape, scale, _scheme.AddPublic(Zeros(values.Length), FixedPointEncoding.Encode(values, scale)));
    }

    private static int Count(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return checked((int)n);
    }

    // ---------------------------------------------------------------- input / output

    /// <summary>Secret-shares real values owned by <paramref name="owner"/> (ignored at every other party).</summary>
    public SecretTensor Input(int owner, int[] shape, ReadOnlySpan<double> values = default)
    {
        using var scope = Scope("input");
        int n = Count(shape);
        ulong[]? enc = PartyId == owner ? FixedPointEncoding.Encode(values, FracBits) : null;
        return T(shape, FracBits, _scheme.Input(RoleOf(owner), enc, n));
    }

    /// <summary>Secret-shares raw ring values at a given scale (0 for integers and one-hot masks).</summary>
    public SecretTensor InputRing(int owner, int[] shape, ulong[]? values, int scale)
    {
        using var scope = Scope("input");
        return T(shape, scale, _scheme.Input(RoleOf(owner), PartyId == owner ? values : null, Count(shape)));
    }

    /// <summary>Opens x to <paramref name="toParty"/> only; returns the values there and null everywhere else.</summary>
    public double[]? Reveal(SecretTensor x, int toParty)
    {
        var r = RevealRing(x, toParty);
        return r is null ? null : FixedPointEncoding.Decode(r, x.Scale);
    }

    public ulong[]? RevealRing(SecretTensor x, int toParty)
    {
        // A 2-out-of-2 tensor is opened by the pair that holds it, whatever the roles of the moment.
        if (x.Pair && x.Roles != RolesShift)
            using (HelperRoles(x.Roles)) return RevealRing(x, toParty);
        using var scope = Scope("reveal");
        // The helper of the 2-out-of-2 form holds its masks, so a value goes to P2 only from replicated shares.
        int to = RoleOf(toParty);
        if (x.Pair && to != PartyIds.P2) return _pair.Reveal(x.Data, to);
        return _scheme.Reveal(InSchemeForm(x), to);
    }

    // ---------------------------------------------------------------- linear, local

    private (Share A, Share B, int[] Shape, int Scale, bool Pair) Align(SecretTensor a, SecretTensor b)
    {
        int scale = Math.Max(a.Scale, b.Scale);
        var shape = Shapes.Broadcast(a.Shape, b.Shape);
        bool pair = a.Pair || b.Pair;
        return (Upscale(Expand(a, shape, pair), a.Scale, scale), Upscale(Expand(b, shape, pair), b.Scale, scale), shape, scale, pair);
    }

    private static Share Upscale(Share s, int from, int to) => from == to ? s : s.Scale(1UL << (to - from));

    private Share Expand(SecretTensor x, int[] shape, bool pair)
    {
        var s = InForm(x, pair);
        return Shapes.SameShape(x.Shape, shape) ? s : s.Gather(Shapes.BroadcastIndex(x.Shape, shape));
    }

    public SecretTensor Add(SecretTensor a, SecretTensor b)
    {
        var (x, y, shape, scale, pair) = Align(a, b);
        return T(shape, scale, x.Add(y), pair);
    }

    public SecretTensor Sub(SecretTensor a, SecretTensor b)
    {
        var (x, y, shape, scale, pair) = Align(a, b);
        return T(shape, scale, x.Sub(y), pair);
    }

    public SecretTensor Neg(SecretTensor a) => T(a.Shape, a.Scale, a.Data.Neg(), a.Pair);

    public SecretTensor AddPublic(SecretTensor x, double c)
    {
        var v = new ulong[x.Length];
        Array.Fill(v, FixedPointEncoding.Encode(c, x.Scale));
        return T(x.Shape, x.Scale, Of(x).AddPublic(x.Data, v), x.Pair);
    }

    /// <summary>Adds a public tensor broadcast to x's shape.</summary>
    public SecretTensor AddPublic(SecretTensor x, ReadOnlySpan<double> values, int[] shape)
    {
        return T(x.Shape, x.Scale, Of(x).AddPublic(x.Data, Broadcast(values, shape, x.Shape, x.Scale)), x.Pair);
    }

    /// <summary>Multiplication by a public integer: local, exact, no truncation.</summary>
    public SecretTensor MulPublicInt(SecretTensor x, long c) => T(x.Shape, x.Scale, x.Data.Scale(unchecked((ulong)c)), x.Pair);

    /// <summary>Multiplication by a public real: local product, then one truncation back to x's scale.</summary>
    public SecretTensor MulPublic(SecretTensor x, double c)
    {
        if (c == Math.Round(c) && Math.Abs(c) < 1 << 30) return MulPublicInt(x, (long)c);
        using var scope = Scope("mul_public");
        var prod = x.Data.Scale(FixedPointEncoding.Encode(c, FracBits));
        return T(x.Shape, x.Scale, Of(x).Trunc(prod, FracBits), x.Pair);
    }

    /// <summary>Elementwise product with a public tensor broadcast to x's shape (one truncation).</summary>
    public SecretTensor MulPublic(SecretTensor x, ReadOnlySpan<double> values, int[] shape)
    {
        using var scope = Scope("mul_public");
        return T(x.Shape, x.Scale, Of(x).Trunc(x.Data.MulPublic(Broadcast(values, shape, x.Shape, FracBits)), FracBits), x.Pair);
    }

    /// <summary>Elementwise product with a public tensor broadcast to x's shape, with no truncation: local, the result at
    /// x's scale plus f (for products whose truncation is folded into a later one).</summary>
    public SecretTensor MulPublicExact(SecretTensor x, ReadOnlySpan<double> values, int[] shape)
    {
        return T(x.Shape, x.Scale + FracBits, x.Data.MulPublic(Broadcast(values, shape, x.Shape, FracBits)), x.Pair);
    }

    /// <summary>A public tensor of <paramref name="shape"/>, encoded at <paramref name="scale"/> and broadcast to <paramref name="to"/>.</summary>
    private static ulong[] Broadcast(ReadOnlySpan<double> values, int[] shape, int[] to, int scale)
    {
        var enc = FixedPointEncoding.Encode(values, scale);
        var idx = Shapes.BroadcastIndex(shape, to);
        var v = new ulong[idx.Length];
        for (int i = 0; i < v.Length; i++) v[i] = enc[idx[i]];
        return v;
    }

    /// <summary>Brings x to another scale: up is a local shift, down is a truncation.</summary>
    public SecretTensor Rescale(SecretTensor x, int scale)
    {
        if (scale == x.Scale) return x;
        if (scale > x.Scale) return T(x.Shape, scale, x.Data.Scale(1UL << (scale - x.Scale)), x.Pair);
        using var scope = Scope("trunc");
        return T(x.Shape, scale, Of(x).Trunc(x.Data, x.Scale - scale), x.Pair);
    }

    /// <summary>x / 2^bits at the same scale, exact up to rounding down by one unit (docs/protocols.md).</summary>
    public SecretTensor Truncate(SecretTensor x, int bits)
    {
        using var scope = Scope("trunc");
        return T(x.Shape, x.Scale, Of(x).Trunc(x.Data, bits), x.Pair);
    }

    /// <summary>Same shares read at another scale (x / 2^(scale - x.Scale) for free).</summary>
    internal SecretTensor WithScale(SecretTensor x, int scale) => T(x.Shape, scale, x.Data, x.Pair);

    // ---------------------------------------------------------------- shape, local

    public SecretTensor Reshape(SecretTensor x, params int[] shape)
    {
        if (Count(shape) != x.Length) throw new ArgumentException("reshape must keep the element count");
        return T(shape, x.Scale, x.DataInRing, x.Pair, x.Ring);
    }

    /// <summary>Swaps the last two axes.</summary>
    public SecretTensor Transpose(SecretTensor x)
    {
        if (x.Rank < 2) throw new ArgumentException("transpose needs rank >= 2");
        int rows = x.Shape[^2], cols = x.Shape[^1], batch = x.Length / Math.Max(1, rows * cols);
        var shape = (int[])x.Shape.Clone();
        (shape[^2], shape[^1]) = (cols, rows);
        return T(shape, x.Scale, x.DataInRing.Map((s, d) => RingMatMul.Transpose(s, d, batch, rows, cols)), x.Pair, x.Ring);
    }

    /// <summary>x[..., start:start+length, ...] along <paramref name="axis"/>.</summary>
    public SecretTensor Slice(SecretTensor x, int axis, int start, int length)
    {
        axis = Shapes.Axis(axis, x.Rank);
        var shape = (int[])x.Shape.Clone();
        shape[axis] = length;
        var idx = Shapes.SliceIndex(x.Shape, axis, start, length);
        return T(shape, x.Scale, x.DataInRing.Gather(idx), x.Pair, x.Ring);
    }

    /// <summary>Local rearrangement by public indices: element i of the result (of <paramref name="shape"/>) is x's
    /// element <paramref name="indices"/>[i] in flat order, or a shared zero where the index is −1; an index may
    /// repeat or be left out.</summary>
    public SecretTensor Rearrange(SecretTensor x, int[] indices, params int[] shape)
    {
        if (Count(shape) != indices.Length) throw new ArgumentException("the shape must hold one element per index");
        foreach (var i in indices)
            if (i < -1 || i >= x.Length) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} is outside −1..{x.Length - 1}");
        return T(shape, x.Scale, x.DataInRing.GatherOrZero(indices), x.Pair, x.Ring);
    }

    /// <summary>Concatenation along <paramref name="axis"/>; scales are aligned up.</summary>
    public SecretTensor Concat(IReadOnlyList<SecretTensor> parts, int axis)
    {
        int scale = parts.Max(p => p.Scale);
        axis = Shapes.Axis(axis, parts[0].Rank);
        var shape = (int[])parts[0].Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        bool pair = parts.Any(p => p.Pair);
        // A part right modulo 2^w only keeps the whole right modulo 2^w (an upscale by 2^j keeps it right modulo 2^(w + j)).
        int ring = parts.Min(p => p.Ring);
        var all = Share.Concat(parts.Select(p => Upscale(pair ? AsPairInRing(p, p.Ring) : p.DataInRing, p.Scale, scale)).ToArray());
        var idx = new int[all.Length];
        int o = 0;
        for (int b = 0; b < outer; b++)
        {
            int baseOff = 0;
            foreach (var p in parts)
            {
                int blk = p.Shape[axis] * inner;
                for (int j = 0; j < blk; j++) idx[o++] = baseOff + b * blk + j;
                baseOff += p.Length;
            }
        }
        return T(shape, scale, all.Gather(idx), pair, ring);
    }

    /// <summary>Sum along the last axis (local); <paramref name="keepDim"/> keeps it as size 1 for broadcasting back.</summary>
    public SecretTensor Sum(SecretTensor x, bool keepDim = false)
    {
        int n = x.LastDim, rows = x.Length / Math.Max(1, n);
        var shape = keepDim ? [.. x.Shape[..^1], 1] : x.Shape[..^1];
        return T(shape, x.Scale, x.Data.Map(rows, (s, d) => RingOps.RowSums(s, n, d)), x.Pair);
    }

    public void Dispose()
    {
        foreach (var roles in _rolesByShift) roles?.Dispose();
        _sessionKeys.Dispose();
    }
}
