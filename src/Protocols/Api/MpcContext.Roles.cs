using PrivateInference.Protocols.Aby3;
using PrivateInference.Protocols.Circuits;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;
using PrivateInference.Protocols.Dealer2pc;

namespace PrivateInference.Protocols;

/// <summary>
/// Which compute party helps. The 2-out-of-2 form's helper sends all the correlated material (about twice what each of
/// the other two sends in a prefill), so in 3pc the roles rotate: under <see cref="HelperRoles"/>(s) the protocols run
/// on a relabeled view of the links and keys (<see cref="PartyRoles"/>) in which physical party s + 2 mod 3 helps and
/// s, s + 1 hold the 2-out-of-2 shares. Replicated shares are valid under every rotation as they are; a tensor,
/// prepared matrix or cache on the 2-out-of-2 form belongs to the roles it was made under and is refused under others
/// (its shares would be read as another pair's). In 2pc the dealer holds no data, so the roles never rotate.
/// </summary>
public sealed partial class MpcContext
{
    private readonly PairwiseKeys _sessionKeys;
    private readonly RoleSet?[] _rolesByShift = new RoleSet?[PartyRoles.Count];
    private RoleSet _roles;

    // The protocols of the current roles, under the names the partial classes use.
    private IScheme _scheme => _roles.Scheme;
    private PairwiseKeys _keys => _roles.Keys;
    private IScheme _pair => _roles.Pair;
    private MaskedComparison _cmp => _roles.Cmp;
    private PermutedTournament _tour => _roles.Tour;
    private TruncatedProducts _prod => _roles.Prod;
    /// <summary>The links as the current roles see them (the public <see cref="Channel"/> keeps physical ids; both count alike).</summary>
    private Channel RoleChannel => _roles.Ch;

    /// <summary>The current roles' shift (0: P2 helps).</summary>
    internal int RolesShift => _roles.Shift;

    /// <summary>Whether the helper's role moves between the compute parties (3pc; never in 2pc).</summary>
    public bool RotatesRoles => Scheme == SchemeKind.ThreePc;

    /// <summary>
    /// Runs what follows, until disposed, with physical party (<paramref name="shift"/> + 2) mod 3 as the helper (3pc; a
    /// no-op in 2pc). Every participant enters and leaves at the same point of the program (SPMD). A model gives each
    /// block of layers its own shift, so that every party helps for about a third of them.
    /// </summary>
    public IDisposable HelperRoles(int shift)
    {
        var before = _roles;
        if (RotatesRoles)
        {
            int s = PartyRoles.Normalize(shift);
            _roles = _rolesByShift[s] ??= new RoleSet(Scheme, Channel.Rotated(s), _sessionKeys.Rotated(s), s);
        }
        return new RestoreRoles(this, before);
    }

    /// <summary>
    /// x as the current roles can use it: itself, unless it is on the 2-out-of-2 form of other roles; then its replicated
    /// shares (3pc), converted under the roles it was made in (<see cref="IScheme.FromPair"/>: one round, one element per
    /// element from each of that pair). A model adopts its residual stream where a layer's roles differ from the last.
    /// </summary>
    public SecretTensor Adopt(SecretTensor x)
    {
        if (!x.Pair || x.Roles == _roles.Shift) return x;
        using var roles = HelperRoles(x.Roles);
        using var scope = Scope("adopt");
        return T(x.Shape, x.Scale, _scheme.FromPair(x.Data));
    }

    /// <summary>The role a physical party plays now (the client and the model owner keep their ids).</summary>
    private int RoleOf(int party) => PartyRoles.Role(party, _roles.Shift);

    /// <summary>Throws unless something on the 2-out-of-2 form made under <paramref name="shift"/> may be used now.</summary>
    internal void RequireRoles(int shift, string what)
    {
        if (shift != _roles.Shift)
            throw new InvalidOperationException(
                $"{what} is on the 2-out-of-2 form of P{PartyRoles.Physical(0, shift)} and P{PartyRoles.Physical(1, shift)}, but P{PartyRoles.Physical(0, _roles.Shift)} and P{PartyRoles.Physical(1, _roles.Shift)} hold it now: use it under the roles it was made in, or convert it to the scheme's form there");
    }

    private sealed class RestoreRoles(MpcContext ctx, RoleSet before) : IDisposable
    {
        public void Dispose() => ctx._roles = before;
    }

    /// <summary>One assignment of roles: the scheme, the 2-out-of-2 form and its gates over one view of links and keys.</summary>
    private sealed class RoleSet : IDisposable
    {
        public RoleSet(SchemeKind scheme, Channel ch, PairwiseKeys keys, int shift)
        {
            Ch = ch;
            Keys = keys;
            Shift = shift;
            Scheme = scheme switch
            {
                SchemeKind.ThreePc => new Aby3Scheme(ch, keys),
                SchemeKind.TwoPcDealer => new Dealer2pcScheme(ch, keys),
                _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
            };
            Pair = Scheme is Dealer2pcScheme dealer ? dealer : new Dealer2pcScheme(ch, keys);
            Cmp = new MaskedComparison(ch, keys);
            Tour = new PermutedTournament(ch, keys);
            Prod = new TruncatedProducts(ch, keys);
        }

        public Channel Ch { get; }
        public PairwiseKeys Keys { get; }
        public int Shift { get; }
        public IScheme Scheme { get; }
        public IScheme Pair { get; }
        public MaskedComparison Cmp { get; }
        public PermutedTournament Tour { get; }
        public TruncatedProducts Prod { get; }

        public void Dispose()
        {
            (Scheme as IDisposable)?.Dispose();
            if (!ReferenceEquals(Pair, Scheme)) (Pair as IDisposable)?.Dispose();
            // The keys are the session's (or a view of them): the context disposes them once.
        }
    }
}
