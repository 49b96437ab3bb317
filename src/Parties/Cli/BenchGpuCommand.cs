using System.CommandLine;
using System.Globalization;
using System.Text;
using PrivateInference.Engine.Reporting;
using PrivateInference.Engine;
using PrivateInference.Kernels.Backends;
using PrivateInference.Kernels.Benchmarks;


namespace PrivateInference.Parties.Cli;

/// <summary>
/// `pi bench gpu`: ring matmul and elementwise throughput of one backend on device-resident buffers, each result
/// checked bit for bit against the CPU backend. scripts/gpu-check.sh runs it with --device cuda and --device cpu.
/// </summary>
internal static class BenchGpuCommand
{
    public static Command Create()
    {
        var device = new DeviceOption();
        device.Option.DefaultValueFactory = _ => "cuda";
        var sizes = new Option<string>("--sizes") { Description = "comma-separated MxKxN ring products", DefaultValueFactory = _ => "1x768x768,64x768x768,4096x4096x4096" };
        var elements = new Option<long>("--elements") { Description = "elements per elementwise operation", DefaultValueFactory = _ => 64L << 20 };
        var repeats = new Option<int>("--repeats") { Description = "timed repetitions per operation (median reported)", DefaultValueFactory = _ => 5 };
        var json = new Option<string?>("--json") { Description = "write rows as JSON to this file" };
        var markdown = new Option<string?>("--markdown") { Description = "also write the Markdown table to this file" };
        var command = new Command("gpu", "Ring backend throughput (matmul, elementwise) on cpu or cuda, checked against the CPU backend.");
        device.AddTo(command);
        foreach (var o in new Option[] { sizes, elements, repeats, json, markdown }) command.Options.Add(o);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var shapes = parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseShape).ToList();
            long count = parse.GetValue(elements);
            int reps = parse.GetValue(repeats);
            if (count < 1 || reps < 1) throw new InputException("--elements and --repeats must be at least 1");
            IRingBufferBackend backend;
            try { backend = RingBackends.Create(device.Parse(parse)); }
            catch (RingDeviceUnavailableException e) { throw new InputException(e.Message); }
            using var owned = ReferenceEquals(backend, CpuRingBackend.Instance) ? null : backend;
            Console.Error.WriteLine($"pi: bench gpu on {backend.Description}");

            var table = new StringBuilder();
            table.AppendLine("| device | op | size | median ms | rate | identical to cpu backend |");
            table.AppendLine("|---|---|---|---:|---:|---|");
            Console.Write(table.ToString());
            var rows = new List<RingBenchRow>();
            void Emit(RingBenchRow row)
            {
                rows.Add(row);
                string line = $"| {backend.Description} | {row.Op} | {row.Size} | {row.MedianMs:F3} | {Si(row.Rate)} {row.RateUnit} | " +
                    $"{(row.Identical is { } same ? same ? "yes" : "**NO**" : "(reference)")} |";
                table.AppendLine(line);
                Console.WriteLine(line);
            }
            foreach (var (m, k, n) in shapes) Emit(RingBackendBenchmark.MatMul(backend, m, k, n, reps));
            foreach (var (m, k, n) in DecodeProducts) Emit(RingBackendBenchmark.PreparedSplitProduct(backend, m, k, n, reps));
            foreach (var row in RingBackendBenchmark.Elementwise(backend, count, reps)) Emit(row);
            string machine = MachineInfo.Describe();
            Console.WriteLine($"\nmachine: {machine}");
            if (parse.GetValue(markdown) is { } mdPath) File.WriteAllText(mdPath, table.ToString());
            if (parse.GetValue(json) is { } jsonPath)
                JsonReport.Write(jsonPath, "pi bench gpu", rows.Select(r => (object)new
                {
                    Device = backend.Description, r.Op, r.Size, MedianMs = r.MedianMs, r.Rate, r.RateUnit, IdenticalToCpu = r.Identical,
                }));
            // A result that differs from the CPU backend is a defect, not a benchmark figure.
            return rows.Any(r => r.Identical == false) ? CliErrors.Failed : 0;
        }));
        return command;
    }

    /// <summary>gpt2-small's weight products at one decode row and at a 64-row prefill chunk.</summary>
    private static readonly (int, int, int)[] DecodeProducts = [(1, 768, 768), (1, 768, 3072), (1, 3072, 768), (64, 768, 3072)];

    /// <summary>1.23 T, 45.6 G: the T ulong multiply-adds per second of the acceptance target read directly.</summary>
    private static string Si(double v) => v >= 1e12 ? (v / 1e12).ToString("F2", CultureInfo.InvariantCulture) + " T"
        : (v / 1e9).ToString(v >= 1e10 ? "F1" : "F2", CultureInfo.InvariantCulture) + " G";

    private static (int M, int K, int N) ParseShape(string text)
    {
        var parts = text.Split('x');
        if (parts.Length == 3 && int.TryParse(parts[0], out int m) && int.TryParse(parts[1], out int k) && int.TryParse(parts[2], out int n) && m > 0 && k > 0 && n > 0)
            return (m, k, n);
        throw new InputException($"--sizes: '{text}' is not MxKxN");
    }
}
