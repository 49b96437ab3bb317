using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// Exercises the transport between every pair of session endpoints: first small all-to-all rounds (round
/// latency), then one seeded pseudo-random payload of <c>bytes</c> to every peer, verified on arrival (bulk
/// throughput and integrity), repeated <c>bulk-rounds</c> times. Arguments: <c>bytes</c> (per peer, default 1 MiB),
/// <c>ping-rounds</c> (default 20), <c>bulk-rounds</c> (default 1), <c>seed</c> (default 1). Reports timings, byte
/// counts and a digest of what was received. The first bulk round is reported apart ("cold": it pays for the JIT of
/// the send and receive paths and for the first touch of the receive buffers); later rounds reuse both ("warm").
/// </summary>
public sealed class ExchangeCheckJob : IPartyJob
{
    public const string JobName = "exchange-check";

    public string Name => JobName;

    public string Description => "all-to-all round latency and a verified seeded payload to every peer";

    public void Run(PartyJobContext context)
    {
        var bytes = context.LongArgument("bytes", 1 << 20);
        var pingRounds = context.LongArgument("ping-rounds", 20);
        var seed = context.LongArgument("seed", 1);
        var bulkRounds = context.LongArgument("bulk-rounds", 1);
        if (bytes is < 0 or > int.MaxValue)
            throw new ArgumentException($"job argument 'bytes' must be in 0..{int.MaxValue}, not {bytes}");
        if (pingRounds < 0)
            throw new ArgumentException($"job argument 'ping-rounds' must be >= 0, not {pingRounds}");
        if (bulkRounds is < 1 or > 1000)
            throw new ArgumentException($"job argument 'bulk-rounds' must be in 1..1000, not {bulkRounds}");
        var peers = context.Peers.ToArray();
        var transport = context.Transport;

        var roundMs = new double[pingRounds];
        Span<byte> token = stackalloc byte[8];
        for (var round = 0; round < pingRounds; round++)
        {
            var start = Stopwatch.GetTimestamp();
            BitConverter.TryWriteBytes(token, (long)round);
            foreach (var peer in peers)
                transport.Send(peer, token);
            foreach (var peer in peers)
            {
                transport.Receive(peer, token);
                var echoed = BitConverter.ToInt64(token);
                if (echoed != round)
                    throw new InvalidDataException($"round {round}: {PeerName(peer)} was at round {echoed}");
            }
            roundMs[round] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        // Payloads are made before the clock starts and checked after it stops, so the figure is the links' own
        // throughput, not that of generating and hashing the test bytes on the same cores.
        var size = (int)bytes;
        var outgoing = peers.Select(peer =>
        {
            var payload = new byte[size];
            FillPayload(payload, seed, context.PartyId, peer);
            return payload;
        }).ToArray();
        var received = peers.Select(_ => new byte[size]).ToArray();
        var bulkSeconds = new double[bulkRounds];
        var warmCpuStart = TimeSpan.Zero;
        for (var round = 0; round < bulkRounds; round++)
        {
            if (round == 1)
                warmCpuStart = ProcessCpu();
            var bulkStart = Stopwatch.GetTimestamp();
            for (var i = 0; i < peers.Length; i++)
                transport.Send(peers[i], outgoing[i]);
            for (var i = 0; i < peers.Length; i++)
                transport.Receive(peers[i], received[i]);
            bulkSeconds[round] = Stopwatch.GetElapsedTime(bulkStart).TotalSeconds;
        }
        // CPU time of the whole process (job, link pumps, TLS, gRPC) over the warm rounds: on a loaded machine this
        // varies far less from run to run than the wall-clock rate does.
        var warmCpu = bulkRounds > 1 ? ProcessCpu() - warmCpuStart : TimeSpan.Zero;

        var expected = outgoing.Length > 0 ? outgoing[0] : [];
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var i = 0; i < peers.Length; i++)
        {
            digest.AppendData(received[i]);
            FillPayload(expected, seed, peers[i], context.PartyId);
            var mismatch = received[i].AsSpan().CommonPrefixLength(expected);
            if (mismatch < size)
                throw new InvalidDataException($"the payload from {PeerName(peers[i])} differs from the seeded one at byte {mismatch} of {size}");
        }

        Array.Sort(roundMs);
        var totalIn = (long)size * peers.Length;
        Report(context, "peers", string.Join(" ", peers));
        // Depends only on seed, sizes and endpoints, so runs over different transports can be compared.
        Report(context, "received_sha256", Convert.ToHexStringLower(digest.GetHashAndReset()));
        Report(context, "bytes_sent", totalIn * bulkRounds + 8 * pingRounds * peers.Length);
        Report(context, "bytes_received", totalIn * bulkRounds + 8 * pingRounds * peers.Length);
        Report(context, "round_median_ms", pingRounds > 0 ? roundMs[roundMs.Length / 2] : double.NaN);
        Report(context, "round_p90_ms", pingRounds > 0 ? roundMs[Math.Min(roundMs.Length - 1, (int)(roundMs.Length * 0.9))] : double.NaN);
        // Every round carries the same bytes, so the last one's content is what the digest and the check cover.
        var cold = bulkSeconds[0];
        var warm = bulkRounds > 1 ? Median(bulkSeconds[1..]) : double.NaN;
        Report(context, "bulk_rounds", bulkRounds);
        Report(context, "bulk_ms", cold * 1e3);
        Report(context, "bulk_receive_mb_per_s", cold > 0 ? totalIn / cold / 1e6 : double.NaN);
        Report(context, "bulk_warm_ms", warm * 1e3);
        Report(context, "bulk_warm_receive_mb_per_s", warm > 0 ? totalIn / warm / 1e6 : double.NaN);
        Report(context, "bulk_warm_cpu_ns_per_byte", bulkRounds > 1 && totalIn > 0
            ? warmCpu.TotalNanoseconds / (totalIn * (double)(bulkRounds - 1))
            : double.NaN);
        context.Log.LogExchange(context.SessionId, peers.Length, size);

        static string PeerName(int peer) => Endpoints.Name(peer);
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The payload <paramref name="from"/> sends <paramref name="to"/>: SplitMix64 of a per-pair seed,
    /// so the receiver can regenerate and compare it without a second copy on the wire.</summary>
    public static void FillPayload(Span<byte> destination, long seed, int from, int to)
    {
        var state = (ulong)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)from << 32 | (uint)to);
        var words = MemoryMarshal.Cast<byte, ulong>(destination);
        for (var i = 0; i < words.Length; i++)
            words[i] = Next(ref state);
        var tail = destination[(words.Length * 8)..];
        if (!tail.IsEmpty)
        {
            Span<byte> last = stackalloc byte[8];
            BitConverter.TryWriteBytes(last, Next(ref state));
            last[..tail.Length].CopyTo(tail);
        }

        static ulong Next(ref ulong s)
        {
            var z = s += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private static void Report(PartyJobContext context, string name, object value) =>
        context.Results[name] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}

internal static partial class ExchangeCheckLog
{
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "exchange-check in session {Session}: {Peers} peers, {Bytes} bytes each way per peer")]
    public static partial void LogExchange(this Microsoft.Extensions.Logging.ILogger logger, string session, int peers, int bytes);
}
