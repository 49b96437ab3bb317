
namespace PrivateInference.Parties.Tests;

/// <summary>Tests that start `pi` processes run one at a time: the machine has two cores.</summary>
[CollectionDefinition(Name)]
public sealed class PartyProcessesCollection
{
    public const string Name = "party processes";
}
