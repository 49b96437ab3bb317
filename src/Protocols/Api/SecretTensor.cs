using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols;

/// <summary>
/// A secret-shared tensor as this party sees it: the public shape and fixed-point scale, and this party's
/// shares (none at the dealer, the client or the model owner, which only track shapes). Every party of the
/// session holds the corresponding object after running the same program. Operators forward to the context.
/// </summary>
public sealed class SecretTensor
{
    internal SecretTensor(MpcContext context, int[] shape, int scale, Share data, bool pair = false, int roles = 0, int ring = 64)
    {
        if (ring is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(ring), $"a ring of {ring} bits");
        long len = 1;
        foreach (var d in shape) { if (d < 0) throw new ArgumentException("negative dimension"); len *= d; }
        if (len != data.Length) throw new ArgumentException($"shape [{string.Join(",", shape)}] does not match {data.Length} elements");
        Context = context;
        Shape = shape;
        Scale = scale;
        _data = data;
        Pair = pair;
        Roles = roles;
        Ring = ring;
    }

    public MpcContext Context { get; }
    public int[] Shape { get; }
    /// <summary>Fixed-point fractional bits of this tensor: 0 for bits and integers, f for ordinary values, more
    /// for outputs that need the extra resolution (reciprocal, rsqrt). Mixed scales are aligned by the ops.</summary>
    public int Scale { get; }
    public int Length => _data.Length;
    public int Rank => Shape.Length;
    /// <summary>This party's shares. On the 2-out-of-2 form they belong to the roles they were made under
    /// (<see cref="MpcContext.HelperRoles"/>): read under other roles, they throw instead of being taken for another
    /// pair's shares.</summary>
    internal Share Data
    {
        get
        {
            if (Ring < 64)
                throw new InvalidOperationException($"this tensor's shares are right modulo 2^{Ring} only: an op that reads the whole ring cannot take it");
            return DataInRing;
        }
    }

    /// <summary>This party's shares, right modulo 2^<see cref="Ring"/> only: for the ops that move elements (reshapes,
    /// slices, rearrangements, concatenations) and those that check <see cref="Ring"/> against the bits they read.</summary>
    internal Share DataInRing
    {
        get
        {
            if (Pair) Context.RequireRoles(Roles, "this tensor");
            return _data;
        }
    }

    /// <summary>The ring, in bits, the shares are right in: 64, or fewer for a value that its consumers read only
    /// modulo 2^Ring (the token scores a selection tournament carries to softmax, opened in that ring only). Ops that
    /// read the whole ring refuse a narrower tensor (<see cref="Data"/>).</summary>
    public int Ring { get; }
    private readonly Share _data;
    /// <summary>The roles' shift the shares were made under (meaningful on the 2-out-of-2 form only).</summary>
    internal int Roles { get; }
    /// <summary>3pc only: the shares are in the 2-out-of-2 form between P0 and P1 (P2 the helper, holding nothing),
    /// where the nonlinear gates leave their results and the linear layers run as dealer products (docs/protocols.md,
    /// "One form for the model's arithmetic"). Always false in 2pc, whose scheme is that form.</summary>
    internal bool Pair { get; }

    /// <summary>Size of the last axis.</summary>
    public int LastDim => Shape.Length == 0 ? 1 : Shape[^1];

    public override string ToString() => $"SecretTensor[{string.Join(",", Shape)}] scale {Scale}";

    public static SecretTensor operator +(SecretTensor a, SecretTensor b) => a.Context.Add(a, b);
    public static SecretTensor operator -(SecretTensor a, SecretTensor b) => a.Context.Sub(a, b);
    public static SecretTensor operator -(SecretTensor a) => a.Context.Neg(a);
    public static SecretTensor operator *(SecretTensor a, SecretTensor b) => a.Context.Mul(a, b);
    public static SecretTensor operator +(SecretTensor a, double c) => a.Context.AddPublic(a, c);
    public static SecretTensor operator -(SecretTensor a, double c) => a.Context.AddPublic(a, -c);
    public static SecretTensor operator *(SecretTensor a, double c) => a.Context.MulPublic(a, c);
    public static SecretTensor operator *(double c, SecretTensor a) => a.Context.MulPublic(a, c);
}

/// <summary>A right-hand matrix prepared for repeated products (a weight): its Beaver mask is opened once (in 3pc for
/// its copy on the 2-out-of-2 form, on which the products run). Only what the products read is kept: the opened
/// E = W − B and this party's share of B (the dealer's: B), not the matrix's own shares, which would be three words per
/// weight more in 3pc (113·10^6 weights at gpt2-small's twelve layers: 2.7 GB per party).</summary>
public sealed class PreparedMatrix
{
    internal PreparedMatrix(int[] shape, int scale, PreparedRhs prepared, bool pair, int roles = 0)
    {
        Shape = shape;
        Scale = scale;
        Prepared = prepared;
        Pair = pair;
        Roles = roles;
    }

    /// <summary>[k, n].</summary>
    public int[] Shape { get; }
    public int Scale { get; }
    internal PreparedRhs Prepared { get; }
    /// <summary>3pc: prepared on the 2-out-of-2 form, whose products run there (false: the scheme's own form).</summary>
    internal bool Pair { get; }
    /// <summary>The roles' shift <see cref="Prepared"/> belongs to on the 2-out-of-2 form (<see cref="MpcContext.HelperRoles"/>).</summary>
    internal int Roles { get; }
}

/// <summary>
/// A secret matrix per batch entry [batch, rows, cols] that grows by rows and is multiplied at every step (a KV
/// cache): each row's Beaver mask is opened once, when the row is appended (in 3pc on the 2-out-of-2 form), so a
/// product opens only its other operand. <see cref="Value"/> is the whole matrix as a tensor.
/// </summary>
public sealed class GrowingMatrix
{
    internal GrowingMatrix(SecretTensor value, GrowingRhs rhs)
    {
        Value = value;
        Rhs = rhs;
    }

    public SecretTensor Value { get; }
    internal GrowingRhs Rhs { get; }
}
