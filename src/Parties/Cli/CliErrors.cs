namespace PrivateInference.Parties.Cli;

/// <summary>Exit codes and the one-line error format shared by the commands.</summary>
internal static class CliErrors
{
    public const int Failed = 1;
    public const int BadInput = 2;

    /// <summary>Writes <c>pi COMMAND: MESSAGE</c> to stderr (no stack trace) and returns <paramref name="exitCode"/>.</summary>
    public static int Report(string command, string message, int exitCode)
    {
        Console.Error.WriteLine($"pi {command}: {message}");
        return exitCode;
    }
}
