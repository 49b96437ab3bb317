using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Security;
using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Hosting;

/// <summary>
/// One compute party as a process: a Kestrel HTTP/2 (h2c) server for the link and control services, plus the
/// dial loops of its own outgoing links. Runs until cancelled, asked to shut down, or (optionally) until its
/// launcher goes away.
/// </summary>
public static class PartyHost
{
    public static async Task RunAsync(PartyHostOptions options, CancellationToken cancellation)
    {
        var self = options.Cluster.Party(options.PartyId);
        if (options.Cluster.Secure && options.Certificate is null)
            throw new PartyStartupException($"party {self.Id}: cluster '{options.Cluster.ClusterId}' pins certificates, so the party needs its key");
        // Set once the host is built; TLS handshakes only start after that.
        ILogger? tlsLogger = null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        ConfigureLogging(builder.Logging, options.Verbose);
        options.ConfigureLogging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            ListenOn(kestrel, self, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (options.Certificate is { } certificate)
                    MutualTls.Use(listen, options.Cluster, certificate, () => tlsLogger);
            });
            kestrel.AddServerHeader = false;
            // Windows large enough that a multi-megabyte share message is not throttled by flow control on loopback.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 32 << 20;
            kestrel.Limits.Http2.InitialStreamWindowSize = 16 << 20;
            // Pings from this side too, so an accepted link notices a dialler whose host vanished.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(15);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
        });
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = TransportOptions.MaxMessageBytes;
            grpc.MaxSendMessageSize = TransportOptions.MaxMessageBytes;
        });
        var shutdown = new PartyShutdown();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(shutdown);
        builder.Services.AddSingleton(PartyJobCatalog.CreateDefault());
        builder.Services.AddSingleton(services => new LinkMesh(
            options.Cluster, options.PartyId, options.Transport, services.GetRequiredService<ILoggerFactory>().CreateLogger("PartyLinks"),
            options.Certificate));
        builder.Services.AddSingleton<SessionJobRunner>();

        await using var app = builder.Build();
        app.MapGrpcService<PartyLinkService>();
        app.MapGrpcService<PartyControlService>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Party");
        tlsLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PartyTls");
        try
        {
            await app.StartAsync(cancellation).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new PartyStartupException(e.InnerException is AddressInUseException
                ? $"party {self.Id}: port {self.Port} on {self.Host} is already in use"
                : $"party {self.Id}: cannot listen on {self.Host}:{self.Port}: {e.Message}");
        }
        var mesh = app.Services.GetRequiredService<LinkMesh>();
        mesh.StartDialing();
        logger.LogInformation("Party {Id} of cluster '{Cluster}' ({Scheme}) listening on {Uri} ({Security}); network: {Network}",
            self.Id, options.Cluster.ClusterId, options.Cluster.Scheme, self.Uri,
            options.Cluster.Secure ? "mutual TLS, pinned certificates" : "INSECURE plaintext h2c", options.Network.Description);
        if (options.ExitWhenStdinCloses)
            WatchStdin(shutdown);

        using (cancellation.Register(() => shutdown.Request("interrupted")))
        {
            try
            {
                await Task.Delay(Timeout.Infinite, shutdown.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                logger.LogInformation("Party {Id} shutting down: {Reason}", self.Id, shutdown.Reason);
            }
        }
        await mesh.DisposeAsync().ConfigureAwait(false);
        using var stopLimit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(stopLimit.Token).ConfigureAwait(false);
    }

    private static void ListenOn(KestrelServerOptions kestrel, PartyAddress self, Action<ListenOptions> configure)
    {
        if (string.Equals(self.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            kestrel.ListenLocalhost(self.Port, configure);
        else if (IPAddress.TryParse(self.Host.Trim('[', ']'), out var address))
            kestrel.Listen(address, self.Port, configure);
        else
            // A host name is how peers reach this machine, not necessarily an address of one interface.
            kestrel.ListenAnyIP(self.Port, configure);
    }

    private static void ConfigureLogging(ILoggingBuilder logging, bool verbose)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        });
        // stdout stays free for what a command prints for scripts; logs go to stderr.
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
            console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("Grpc", LogLevel.Warning);
        // The host logs a failed start with a stack trace; the party reports it as one line itself.
        logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Critical);
    }

    private static void WatchStdin(PartyShutdown shutdown)
    {
        var watcher = new Thread(() =>
        {
            using var stdin = Console.OpenStandardInput();
            var buffer = new byte[256];
            try
            {
                while (stdin.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
                // A broken pipe means the same as end of input: the launcher is gone.
            }
            shutdown.Request("standard input closed (the launcher is gone)");
        })
        {
            IsBackground = true,
            Name = "launcher watch",
        };
        watcher.Start();
    }
}

/// <summary>The party could not start (address in use, bad configuration); the message is for the user.</summary>
public sealed class PartyStartupException(string message) : Exception(message);
