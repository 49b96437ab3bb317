namespace PrivateInference.Protocols.Core;

/// <summary>Words at public positions a protocol does not send (known zeros, discarded outputs, a one-hot's
/// last share): the sender compacts, the receiver expands with zeros there.</summary>
internal static class PublicSubset
{
    /// <summary>The values not flagged, in order.</summary>
    public static ulong[] Kept(ulong[] values, bool[] dropped)
    {
        var kept = new ulong[Count(dropped)];
        for (int i = 0, j = 0; i < values.Length; i++) if (!dropped[i]) kept[j++] = values[i];
        return kept;
    }

    /// <summary>Inverse of <see cref="Kept"/>, zeros at the flagged positions.</summary>
    public static ulong[] Unkept(ulong[] kept, bool[] dropped)
    {
        var values = new ulong[dropped.Length];
        for (int i = 0, j = 0; i < values.Length; i++) if (!dropped[i]) values[i] = kept[j++];
        return values;
    }

    /// <summary>How many positions are not flagged.</summary>
    public static int Count(bool[] dropped)
    {
        int n = 0;
        foreach (bool d in dropped) if (!d) n++;
        return n;
    }
}
