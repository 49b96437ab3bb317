
namespace PrivateInference.Parties.Jobs;

/// <summary>
/// A computation every party of a session runs at the client's request, each with its own transport. The same
/// object runs the client's (or model owner's) part when the client takes part in the session, so one class
/// holds all roles of one protocol; <see cref="PartyJobContext.PartyId"/> says which role is being played.
/// Implementations must be stateless (one instance serves concurrent sessions) and must not log payloads.
/// </summary>
public interface IPartyJob
{
    /// <summary>The name clients ask for, e.g. <c>exchange-check</c>.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs one endpoint's part on a dedicated thread. Throwing fails the session for every party; the
    /// exception message goes back to the client, so it must not contain secret data.</summary>
    void Run(PartyJobContext context);
}
