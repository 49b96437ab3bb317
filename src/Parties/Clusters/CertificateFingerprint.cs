using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;

namespace PrivateInference.Parties.Clusters;

/// <summary>
/// The SHA-256 of a certificate's DER encoding, as 64 lowercase hex digits: what the cluster file pins. Pinning the
/// whole certificate (not a name or an issuer) means no certificate authority is trusted and no host name is checked.
/// </summary>
public static class CertificateFingerprint
{
    public static string Of(X509Certificate certificate) => Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));

    /// <summary>Accepts upper or lower case and <c>:</c> separators (as other tools print fingerprints).</summary>
    public static string? Normalize(string? text)
    {
        if (text is null)
            return null;
        var hex = text.Replace(":", "", StringComparison.Ordinal).Trim().ToLowerInvariant();
        return hex.Length == 64 && hex.All(Uri.IsHexDigit) ? hex : null;
    }
}
