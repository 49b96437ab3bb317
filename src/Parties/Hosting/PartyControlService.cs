using Grpc.Core;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Hosting;

/// <summary>The client-facing API of one party: health, the two phases of a job, and shutdown.</summary>
internal sealed class PartyControlService(
    PartyHostOptions options, LinkMesh mesh, SessionJobRunner runner, PartyShutdown shutdown, ILogger<PartyControlService> logger)
    : PartyControl.PartyControlBase
{
    /// <summary>
    /// TLS lets in every pinned certificate, parties included; but sessions are the client's to open, run and close
    /// (and a party is the operator's to stop), so a party's certificate may only use the links and ask for health.
    /// </summary>
    private void RequireClientSide(ServerCallContext context, string what)
    {
        if (!options.Cluster.Secure)
            return;
        var certificate = context.GetHttpContext().Connection.ClientCertificate;
        var fingerprint = certificate is null ? null : CertificateFingerprint.Of(certificate);
        if (fingerprint is not null && options.Cluster.Clients?.Any(c => c.CertSha256 == fingerprint) == true)
            return;
        var holder = fingerprint is null ? "a caller without a certificate" : options.Cluster.Holder(fingerprint) ?? $"certificate sha256 {fingerprint}";
        logger.LogWarning("Refused a {Method} call from {Holder}: only the client or the model owner may {What}", context.Method, holder, what);
        throw new RpcException(new Status(StatusCode.PermissionDenied, $"party {options.PartyId}: only the client or the model owner may {what}"));
    }

    public override Task<HealthReply> Health(HealthRequest request, ServerCallContext context)
    {
        var reply = new HealthReply
        {
            PartyId = options.PartyId,
            ClusterId = options.Cluster.ClusterId,
            Ready = mesh.Ready,
            Network = options.Network.Description,
            OpenSessions = mesh.OpenSessions,
            RejectedFrames = mesh.RejectedFrames,
        };
        reply.ConnectedParties.AddRange(mesh.ConnectedParties);
        if (options.Store is { } store)
            reply.Models.AddRange(store.Held().Select(m => m.ToString()));
        return Task.FromResult(reply);
    }

    public override Task<OpenSessionReply> OpenSession(OpenSessionRequest request, ServerCallContext context)
    {
        RequireClientSide(context, "open sessions");
        try
        {
            runner.Open(request.SessionId, request.Job, request.Arguments, request.Model, request.EndpointLinks);
            return Task.FromResult(new OpenSessionReply());
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException or TransportException
                                       or SessionTermsException)
        {
            // Malformed input, an unknown job, terms this party refuses, or a state that forbids the session: each a
            // status with a message the client can act on; nothing was registered, and the party carries on.
            var code = e switch
            {
                ArgumentException => StatusCode.InvalidArgument,
                KeyNotFoundException => StatusCode.NotFound,
                _ => StatusCode.FailedPrecondition,
            };
            logger.LogWarning("Refused to open a session: {Reason}", e.Message);
            throw new RpcException(new Status(code, $"party {options.PartyId}: {e.Message}"));
        }
    }

    public override async Task<JobResult> RunSession(RunSessionRequest request, ServerCallContext context)
    {
        RequireClientSide(context, "run sessions");
        try
        {
            return await runner.RunAsync(request.SessionId, context.CancellationToken).ConfigureAwait(false);
        }
        catch (KeyNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"party {options.PartyId}: {e.Message}"));
        }
    }

    public override Task<CloseSessionReply> CloseSession(CloseSessionRequest request, ServerCallContext context)
    {
        RequireClientSide(context, "close sessions");
        runner.Close(request.SessionId);
        return Task.FromResult(new CloseSessionReply());
    }

    public override Task<ShutdownReply> Shutdown(ShutdownRequest request, ServerCallContext context)
    {
        RequireClientSide(context, "shut a party down");
        shutdown.Request("asked by a client");
        return Task.FromResult(new ShutdownReply());
    }
}
