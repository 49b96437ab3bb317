using System.Net.Sockets;
using System.Net;


namespace PrivateInference.Parties.Launch;

/// <summary>Picks loopback ports the OS reports free. Another process may still take one before a party binds
/// it, which <see cref="LocalCluster"/> handles by retrying.</summary>
public static class FreePorts
{
    public static int[] Pick(int count)
    {
        // All listeners stay open until every port is read, so the OS hands out distinct ports.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners)
                listener.Start();
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners)
                listener.Stop();
        }
    }
}
