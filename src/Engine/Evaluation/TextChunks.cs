using System.Text;
using System.Text.RegularExpressions;

namespace PrivateInference.Engine.Evaluation;

/// <summary>Evaluation text: a strict UTF-8 file split on blank lines into stripped, non-empty chunks.</summary>
public static partial class TextChunks
{
    public static string ReadUtf8(string path)
    {
        if (!File.Exists(path))
            throw new InputException($"text file not found: {path}");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException e)
        {
            throw new InputException($"text file {path} is not valid UTF-8 (first bad byte at offset {e.Index})");
        }
    }

    public static List<string> Split(string text) =>
        BlankLine().Split(text.Replace("\r\n", "\n"))
            .Select(c => c.Trim())
            .Where(c => c.Length > 0)
            .ToList();

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex BlankLine();
}
