using System.Runtime.InteropServices;


namespace PrivateInference.Parties.Launch;

/// <summary>
/// How to start another `pi` process from this one: the same apphost when running as `pi`, otherwise
/// `dotnet pi.dll` (when run via `dotnet pi.dll`, and from test hosts, where pi.dll sits beside the tests).
/// </summary>
public static class PiExecutable
{
    /// <summary>The program to start and the arguments that precede the `pi` command line.</summary>
    public static (string FileName, IReadOnlyList<string> LeadingArguments) Resolve()
    {
        var piDll = typeof(PiExecutable).Assembly.Location;
        var processPath = Environment.ProcessPath;
        var processName = processPath is null ? "" : Path.GetFileNameWithoutExtension(processPath);
        if (processName == "pi" && processPath is not null)
            return (processPath, []);
        if (processName == "dotnet" && processPath is not null)
            return (processPath, [piDll]);
        return (DotnetHost(), [piDll]);
    }

    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            return hostPath;
        // The runtime directory is <dotnet root>/shared/Microsoft.NETCore.App/<version>/.
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }
}
