using Grpc.Net.Client;
using PrivateInference.Parties.Hosting;

namespace PrivateInference.Parties.Transport;

/// <summary>gRPC channels to parties, tuned for bulk share traffic on long-lived streams.</summary>
public static class PartyChannels
{
    public static GrpcChannel Create(PartyAddress party) =>
        GrpcChannel.ForAddress(party.Uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = TransportOptions.MaxMessageBytes,
            MaxSendMessageSize = TransportOptions.MaxMessageBytes,
            HttpHandler = new SocketsHttpHandler
            {
                // The default 64 KiB stream window stalls multi-megabyte sends on every round trip.
                InitialHttp2StreamWindowSize = 16 << 20,
                EnableMultipleHttp2Connections = true,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                ConnectTimeout = TimeSpan.FromSeconds(5),
                // Pings notice a peer host that vanished without closing its socket.
                KeepAlivePingDelay = TimeSpan.FromSeconds(15),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            },
        });
}
