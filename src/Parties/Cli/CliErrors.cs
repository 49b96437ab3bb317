using System.Text;
using PrivateInference.Engine;


namespace PrivateInference.Parties.Cli;

/// <summary>
/// Exit codes and the one-line error format shared by the commands: bad input ends as one line on stderr and a
/// non-zero exit, never a stack trace. Only errors caused by the user's input are caught; a bug surfaces in full.
/// </summary>
internal static class CliErrors
{
    public const int Failed = 1;
    public const int BadInput = 2;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is InputException or IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            Console.Error.WriteLine($"pi: error: {WithFlags(e)}");
            return Failed;
        }
    }

    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is InputException or IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            Console.Error.WriteLine($"pi: error: {WithFlags(e)}");
            return Failed;
        }
    }

    /// <summary>Library errors name no flag; the command line adds the one that answers them.</summary>
    public static string WithFlags(Exception e) =>
        e is PrivateInference.Parties.Clusters.PlaintextClusterException || e.InnerException is PrivateInference.Parties.Clusters.PlaintextClusterException
            ? e.Message + " (pass --insecure)"
            : e.Message;

    /// <summary>Writes <c>pi COMMAND: MESSAGE</c> to stderr (no stack trace) and returns <paramref name="exitCode"/>.</summary>
    public static int Report(string command, string message, int exitCode)
    {
        Console.Error.WriteLine($"pi {command}: {message}");
        return exitCode;
    }
}
