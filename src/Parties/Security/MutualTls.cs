using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Security;

/// <summary>
/// The server side of a party's mutual TLS: the party presents its own certificate and requires every connecting
/// endpoint to present one whose fingerprint the cluster file pins. Anything else fails in the TLS handshake, before
/// a single gRPC byte is read, and leaves one log line naming the presented fingerprint (never any payload).
/// </summary>
public static class MutualTls
{
    // Set on the connection by the certificate check, so the outer watch (LogFailedHandshakes) knows it was seen.
    private const string CertificateChecked = "pi.certificate-checked";

    /// <summary>
    /// Installs mutual TLS on a listener, with a watch around it: a handshake that fails before any certificate
    /// reached the check (the client sent none: TLS stacks refuse that themselves) still gets its log line.
    /// </summary>
    public static void Use(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, ClusterConfig cluster, X509Certificate2 own, Func<ILogger?> logger)
    {
        listen.Use(next => async connection =>
        {
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                if (!connection.Items.ContainsKey(CertificateChecked))
                    logger()?.LogWarning("Refused a TLS connection from {Remote}: no client certificate (or no TLS handshake at all)",
                        connection.RemoteEndPoint?.ToString() ?? "an unknown address");
            }
        });
        listen.UseHttps(ServerOptions(cluster, own, logger));
    }

    public static TlsHandshakeCallbackOptions ServerOptions(ClusterConfig cluster, X509Certificate2 own, Func<ILogger?> logger)
    {
        var pinned = cluster.PinnedFingerprints;
        var context = SslStreamCertificateContext.Create(own, additionalCertificates: null);
        return new TlsHandshakeCallbackOptions
        {
            OnConnection = connection =>
            {
                var remote = connection.Connection.RemoteEndPoint?.ToString() ?? "an unknown address";
                return ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = context,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    // Self-signed certificates have nothing to revoke them; the pin is the whole trust decision.
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    // Called for a missing certificate too (SslStream reports it as not available), so both get a line.
                    RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    {
                        connection.Connection.Items[CertificateChecked] = true;
                        if (certificate is null)
                        {
                            logger()?.LogWarning("Refused a TLS connection from {Remote}: no client certificate", remote);
                            return false;
                        }
                        var fingerprint = CertificateFingerprint.Of(certificate);
                        if (pinned.Contains(fingerprint))
                            return true;
                        logger()?.LogWarning("Refused a TLS connection from {Remote}: certificate sha256 {Fingerprint} is not in cluster file '{Cluster}'",
                            remote, fingerprint, cluster.ClusterId);
                        return false;
                    },
                });
            },
        };
    }
}
