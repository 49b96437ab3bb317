using System.Text;
using PrivateInference.Engine;

namespace PrivateInference.Parties.Cli;

/// <summary>
/// Runs a command body so that bad input ends as one line on stderr and exit code 1, never a stack trace.
/// Only errors caused by the user's input are caught; a bug still surfaces in full.
/// </summary>
public static class CliErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is InputException or IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            Console.Error.WriteLine($"pi: error: {e.Message}");
            return 1;
        }
    }
}
