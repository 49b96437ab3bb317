using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Security;

/// <summary>
/// Key pairs and self-signed certificates of a cluster's endpoints, as PEM files: <c>NAME.crt</c> (public, goes to
/// every host) and <c>NAME.key</c> (private, mode 0600, stays on its own host). Names are <c>party0</c>..,
/// <c>client</c> and <c>owner</c>; by convention the files sit beside the cluster file, which pins each certificate
/// by its SHA-256 fingerprint.
/// </summary>
public static class KeyFiles
{
    public const string Client = "client";
    public const string Owner = "owner";

    /// <summary>Certificates last long enough for a deployment; rotating means running `pi keys` again.</summary>
    private static readonly TimeSpan Validity = TimeSpan.FromDays(3 * 365);

    public static string PartyName(int id) => $"party{id}";

    public static string KeyPath(string directory, string name) => Path.Combine(directory, name + ".key");

    public static string CertificatePath(string keyPath) => Path.ChangeExtension(keyPath, ".crt");

    /// <summary>A fresh ECDSA P-256 key and a self-signed certificate usable for both ends of mutual TLS.</summary>
    public static X509Certificate2 Create(string name, IEnumerable<string> hosts)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=pi {name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        // Both purposes: a party is a TLS server to those who dial it and a TLS client to those it dials.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        // Names are informative only (peers pin the fingerprint), but make the certificate readable in other tools.
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        foreach (var host in hosts.Distinct())
        {
            if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
                names.AddIpAddress(address);
            else if (Uri.CheckHostName(host) == UriHostNameType.Dns)
                names.AddDnsName(host);
        }
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now + Validity);
    }

    /// <summary>Writes <c>NAME.crt</c> and <c>NAME.key</c>; the key file is created readable by its owner only.</summary>
    public static void Write(X509Certificate2 certificate, string directory, string name, bool overwrite)
    {
        var keyPath = KeyPath(directory, name);
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException($"certificate for {name} has no ECDSA private key");
        var mode = overwrite ? FileMode.Create : FileMode.CreateNew;
        WriteText(CertificatePath(keyPath), certificate.ExportCertificatePem() + "\n", mode,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (overwrite && File.Exists(keyPath))
            File.Delete(keyPath);   // so the new file gets owner-only permissions, not the old file's
        WriteText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n", mode, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Loads <paramref name="keyPath"/> and the <c>.crt</c> beside it; the message of a failure is for the user.</summary>
    public static X509Certificate2 Load(string keyPath)
    {
        var certificatePath = CertificatePath(keyPath);
        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ClusterConfigException($"cannot load the key '{keyPath}' with its certificate '{certificatePath}': {e.Message}");
        }
    }

    /// <summary>Loads the key named <paramref name="name"/> from beside the cluster file and checks it is the one pinned there.</summary>
    public static X509Certificate2 LoadBeside(ClusterConfig cluster, string name, string? expectedFingerprint)
    {
        if (cluster.Directory is null)
            throw new ClusterConfigException($"no key for the {name}: the cluster was not loaded from a file, so pass the certificate explicitly");
        return LoadPinned(KeyPath(cluster.Directory, name), name, expectedFingerprint);
    }

    /// <summary>Loads a key and refuses it at once when the cluster file pins a different certificate for it,
    /// which would otherwise only show as refused connections.</summary>
    public static X509Certificate2 LoadPinned(string keyPath, string name, string? expectedFingerprint)
    {
        var certificate = Load(keyPath);
        var fingerprint = CertificateFingerprint.Of(certificate);
        if (expectedFingerprint is not null && fingerprint != expectedFingerprint)
        {
            certificate.Dispose();
            throw new ClusterConfigException(
                $"the certificate of '{keyPath}' has fingerprint {fingerprint}, but the cluster file pins {expectedFingerprint} for the {name}");
        }
        return certificate;
    }

    /// <summary>
    /// Keys for every endpoint of a cluster and the cluster file that pins them: what `pi keys` and local launches
    /// write. Returns the saved cluster, its <see cref="ClusterConfig.Directory"/> set.
    /// </summary>
    public static ClusterConfig Generate(ClusterConfig addresses, string directory, string clusterFile, bool overwrite)
    {
        Directory.CreateDirectory(directory);
        // Checked before any key is written, so a refused run leaves the directory as it was.
        if (!overwrite && File.Exists(clusterFile))
            throw new IOException($"'{clusterFile}' already exists; choose another directory");
        var parties = new List<PartyAddress>();
        foreach (var party in addresses.Parties)
        {
            using var certificate = Create(PartyName(party.Id), [party.Host]);
            Write(certificate, directory, PartyName(party.Id), overwrite);
            parties.Add(party with { CertSha256 = CertificateFingerprint.Of(certificate) });
        }
        var clients = new List<ClientIdentity>();
        foreach (var role in new[] { Client, Owner })
        {
            using var certificate = Create(role, []);
            Write(certificate, directory, role, overwrite);
            clients.Add(new ClientIdentity(role, CertificateFingerprint.Of(certificate)));
        }
        var cluster = (addresses with { Parties = parties, Clients = clients }).Validated();
        cluster.Save(clusterFile);
        return cluster with { Directory = Path.GetDirectoryName(Path.GetFullPath(clusterFile)) };
    }

    private static void WriteText(string path, string text, FileMode mode, UnixFileMode permissions)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = permissions;
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }
}
