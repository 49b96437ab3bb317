using PrivateInference.Kernels.Backends;


namespace PrivateInference.Parties.Jobs;

/// <summary>Every party's job result names the device it computed on, so the client's run report can say it.</summary>
public static class JobDevice
{
    public const string ResultKey = "device";

    public static string Describe() => RingBackends.Current.Description;
}
