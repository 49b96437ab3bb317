using System.CommandLine;
using System.Globalization;
using System.Text;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine;
using PrivateInference.Parties.Client;
using PrivateInference.Parties.Jobs;
using PrivateInference.Parties.Launch;
using PrivateInference.Protocols.Benchmarks;
using PrivateInference.Protocols;


namespace PrivateInference.Parties.Cli;

/// <summary>`pi bench ops`: latency, bytes per party and rounds of each MPC operation, per scheme and transport.</summary>
internal static class BenchOpsCommand
{
    public static Command Create()
    {
        var scheme = new Option<string>("--scheme") { Description = "3pc, 2pc or both", DefaultValueFactory = _ => "both" };
        scheme.AcceptOnlyFromAmong("3pc", "2pc", "both");
        var op = new Option<string?>("--op") { Description = $"one op ({string.Join(", ", OpsBenchmark.Ops)}); default: every case of the issue" };
        var size = new Option<string?>("--size") { Description = "with --op: elements (e.g. 1M, 4096), matmul MxKxN, softmax RxN, top-k 'k=8 of 64'" };
        var transport = new Option<string>("--transport") { Description = "inproc (parties as threads), grpc (party processes on loopback) or both", DefaultValueFactory = _ => "inproc" };
        transport.AcceptOnlyFromAmong("inproc", "grpc", "both");
        var reps = new Option<int>("--repetitions") { Description = "timed repetitions per case (after one warm-up)", DefaultValueFactory = _ => 5 };
        var json = new Option<string?>("--json") { Description = "write rows as JSON to this file" };
        var append = new Option<string?>("--append") { Description = "append the Markdown table (with command and machine) to this file" };
        var command = new Command("ops", "Cost of each MPC operation: median latency, bytes sent per party, rounds.");
        foreach (var o in new Option[] { scheme, op, size, transport, reps, json, append }) command.Options.Add(o);
        command.SetAction((parse, cancel) => CliErrors.RunAsync(async () =>
        {
            var cases = Cases(parse.GetValue(op), parse.GetValue(size));
            int repetitions = parse.GetValue(reps);
            if (repetitions < 1) throw new InputException($"--repetitions must be at least 1, got {repetitions}");
            var schemes = parse.GetValue(scheme) == "both" ? new[] { "3pc", "2pc" } : [parse.GetValue(scheme)!];
            var transports = parse.GetValue(transport) == "both" ? new[] { "inproc", "grpc" } : [parse.GetValue(transport)!];
            var table = new StringBuilder();
            table.AppendLine("| scheme | transport | op | size | median ms | p90 ms | compute ms | bytes sent P0 / P1 / P2 | bytes/element (busiest) | rounds | matmul: party kernel / plaintext ms |");
            table.AppendLine("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
            Console.Write(table.ToString());
            var rows = new List<object>();
            foreach (var s in schemes)
                foreach (var t in transports)
                {
                    var kind = s == "3pc" ? SchemeKind.ThreePc : SchemeKind.TwoPcDealer;
                    LocalCluster? cluster = null;
                    ClusterClient? client = null;
                    try
                    {
                        if (t == "grpc")
                        {
                            Console.Error.WriteLine($"pi: starting {s} parties on loopback...");
                            cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Scheme = s }, cancel);
                            client = cluster.CreateClient();
                        }
                        foreach (var c in cases)
                        {
                            Console.Error.WriteLine($"pi: {s} {t} {c}...");
                            OpsBenchmarkResult r;
                            if (client is null)
                                r = await Task.Run(() => OpsBenchmark.RunInProcess(kind, c, repetitions), cancel);
                            else
                            {
                                var outcome = (await client.RunJobAsync(OpsBenchJob.JobName, OpsBenchJob.Arguments(c, repetitions), cancellation: cancel)).EnsureSuccess();
                                r = OpsBenchmark.Combine(kind, c, outcome.Parties.Select(p => OpsBenchJob.Measurement(p.PartyId, p.Values)).ToList());
                            }
                            string line = $"| {s} | {t} | {r.Op} | {r.Size} | {r.MedianMs:F2} | {r.P90Ms:F2} | {r.ComputeMs:F2} | {string.Join(" / ", r.BytesSentByParty)} | " +
                                          $"{r.BytesPerElement:F1} | {r.Rounds} | {(r.PartyKernelMs is { } k ? $"{k:F2} / {r.PlaintextMs:F2}" : "–")} |";
                            table.AppendLine(line);
                            Console.WriteLine(line);
                            rows.Add(new
                            {
                                Scheme = s, Transport = t, r.Op, r.Size, r.Elements, r.Repetitions, MedianMs = r.MedianMs, P90Ms = r.P90Ms, ComputeMs = r.ComputeMs,
                                r.BytesSentPerParty, BytesSentByParty = r.BytesSentByParty, r.BytesPerElement, r.Rounds, r.PartyKernelMs, PlaintextMs = r.PlaintextMs,
                            });
                        }
                    }
                    catch (JobFailedException e) { throw new InputException(e.Message); }
                    catch (LocalClusterException e) { throw new InputException($"could not start the local parties: {e.Message}"); }
                    finally
                    {
                        if (client is not null) await client.DisposeAsync();
                        if (cluster is not null) await cluster.DisposeAsync();
                    }
                }
            string machine = MachineInfo.Describe();
            Console.WriteLine($"\nmachine: {machine}");
            string commandLine = "pi " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Where(a => !a.EndsWith(".dll", StringComparison.Ordinal)));
            if (parse.GetValue(append) is { } path)
                File.AppendAllText(path, $"\n### {DateTime.UtcNow:yyyy-MM-dd}: `{commandLine}`\n\nMachine: {machine}\n\n{table}");
            if (parse.GetValue(json) is { } jsonPath) JsonReport.Write(jsonPath, commandLine, rows);
            return 0;
        }));
        return command;
    }

    private static List<BenchCase> Cases(string? op, string? size)
    {
        if (op is null)
            return size is null ? [.. OpsBenchmark.IssueCases] : throw new InputException("--size needs --op");
        if (!OpsBenchmark.Ops.Contains(op)) throw new InputException($"unknown op '{op}'; known: {string.Join(", ", OpsBenchmark.Ops)}");
        if (size is not null)
        {
            var c = new BenchCase(op, size);
            try { _ = OpsBenchmark.Elements(c); }
            catch (FormatException) { throw new InputException($"--size '{size}' is not a size for {op}"); }
            return [c];
        }
        var issue = OpsBenchmark.IssueCases.Where(c => c.Op == op).ToList();
        return issue.Count > 0 ? issue : [new BenchCase(op, "64K")];
    }
}
