using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Transport;

/// <summary>gRPC channels to parties, tuned for bulk share traffic on long-lived streams.</summary>
public static class PartyChannels
{
    /// <summary>
    /// A channel to <paramref name="party"/>. When the cluster pins the party's certificate, the channel speaks TLS,
    /// presents <paramref name="own"/> as its client certificate and accepts the server only if its certificate is
    /// exactly the pinned one (no CA, no host-name check: the fingerprint is the identity).
    /// </summary>
    public static GrpcChannel Create(PartyAddress party, X509Certificate2? own = null, ILogger? logger = null)
    {
        var handler = new SocketsHttpHandler
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
        };
        if (party.CertSha256 is { } pinned)
        {
            if (own is null)
                throw new ClusterConfigException($"party {party.Id} is pinned to a certificate, so connecting to it needs one of ours");
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = new X509CertificateCollection { own },
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                // Self-signed certificates have nothing to revoke them; the pin is the whole trust decision.
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    var presented = certificate is null ? null : CertificateFingerprint.Of(certificate);
                    if (presented == pinned)
                        return true;
                    logger?.LogWarning("Refused party {Party} at {Uri}: it presented {Presented}, but the cluster file pins certificate sha256 {Pinned}",
                        party.Id, party.Uri, presented is null ? "no certificate" : $"certificate sha256 {presented}", pinned);
                    return false;
                },
            };
        }
        return GrpcChannel.ForAddress(party.Uri, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = TransportOptions.MaxMessageBytes,
            MaxSendMessageSize = TransportOptions.MaxMessageBytes,
            HttpHandler = handler,
        });
    }
}
