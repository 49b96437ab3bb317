namespace PrivateInference.Engine;

/// <summary>
/// Something the user gave us is wrong (a file, an option, a prompt). The CLI prints its message as one line
/// and exits non-zero; anything else reaching the top is a bug and keeps its stack trace.
/// </summary>
public class InputException(string message, Exception? inner = null) : Exception(message, inner);
