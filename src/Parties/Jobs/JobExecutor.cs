using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Parties.Transport;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// Runs one endpoint's part of a job on its own thread (jobs block in <c>Receive</c>, which must not tie up
/// the server's thread pool), with the network emulation in front of the session transport, and turns the
/// outcome into a <see cref="JobResult"/>. A failure aborts the session so that peers stop waiting at once.
/// </summary>
internal static class JobExecutor
{
    public static Task<JobResult> StartAsync(
        IPartyJob job, GrpcTransport session, ClusterConfig cluster, JobArguments arguments,
        NetworkProfile network, ILogger log, CancellationToken cancellation, Storage.ShareStore? store = null)
    {
        var completion = new TaskCompletionSource<JobResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new Thread(() => completion.SetResult(Execute(job, session, cluster, arguments, network, log, cancellation, store)))
        {
            IsBackground = true,
            Name = $"{job.Name} {Endpoints.Name(session.PartyId)}",
        };
        worker.Start();
        return completion.Task;
    }

    private static JobResult Execute(
        IPartyJob job, GrpcTransport session, ClusterConfig cluster, JobArguments arguments,
        NetworkProfile network, ILogger log, CancellationToken cancellation, Storage.ShareStore? store)
    {
        var result = new JobResult { PartyId = session.PartyId };
        session.AnnouncesEnd = true;
        var clock = Stopwatch.StartNew();
        ITransport transport = network.IsIdeal ? session : new EmulatedNetworkTransport(session, network);
        var context = new PartyJobContext
        {
            PartyId = session.PartyId,
            SessionId = session.SessionId,
            Cluster = cluster,
            Transport = transport,
            Endpoints = session.Peers.Append(session.PartyId).Order().ToArray(),
            Arguments = arguments.Values,
            Model = arguments.Model,
            Network = network,
            Log = log,
            Cancellation = cancellation,
            Store = store,
        };
        try
        {
            using (cancellation.Register(() => session.Abort("the client cancelled the session")))
                job.Run(context);
            transport.Dispose();
            result.Ok = true;
        }
        catch (Exception e)
        {
            var reason = $"{e.GetType().Name}: {e.Message}";
            log.LogWarning("Job {Job} failed in session {Session}: {Reason}", job.Name, session.SessionId, reason);
            session.Abort($"{job.Name} failed at {Endpoints.Name(session.PartyId)}: {e.Message}");
            result.Ok = false;
            result.Error = $"{Endpoints.Name(session.PartyId)}: {e.Message}";
            DisposeQuietly(transport);
        }
        result.ElapsedMs = clock.Elapsed.TotalMilliseconds;
        result.Values[JobDevice.ResultKey] = JobDevice.Describe();
        foreach (var (name, value) in context.Results)
            result.Values[name] = value;
        if (context.PrivateRun is { } stats)
            result.PrivateRun = stats;
        return result;
    }

    private static void DisposeQuietly(ITransport transport)
    {
        try
        {
            transport.Dispose();
        }
        catch (Exception)
        {
            // The job already failed; a second error while tearing down adds nothing for the client.
        }
    }
}
