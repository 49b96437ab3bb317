using Grpc.Core;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Hosting;

/// <summary>The client-facing API of one party: health, the two phases of a job, and shutdown.</summary>
internal sealed class PartyControlService(
    PartyHostOptions options, LinkMesh mesh, SessionJobRunner runner, PartyShutdown shutdown) : PartyControl.PartyControlBase
{
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
        return Task.FromResult(reply);
    }

    public override Task<OpenSessionReply> OpenSession(OpenSessionRequest request, ServerCallContext context)
    {
        try
        {
            runner.Open(request.SessionId, request.Job, request.Arguments, request.EndpointLinks);
            return Task.FromResult(new OpenSessionReply());
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or InvalidOperationException or TransportException)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"party {options.PartyId}: {e.Message}"));
        }
    }

    public override async Task<JobResult> RunSession(RunSessionRequest request, ServerCallContext context)
    {
        try
        {
            return await runner.RunAsync(request.SessionId, context.CancellationToken).ConfigureAwait(false);
        }
        catch (KeyNotFoundException e)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"party {options.PartyId}: {e.Message}"));
        }
    }

    public override Task<ShutdownReply> Shutdown(ShutdownRequest request, ServerCallContext context)
    {
        shutdown.Request("asked by a client");
        return Task.FromResult(new ShutdownReply());
    }
}
