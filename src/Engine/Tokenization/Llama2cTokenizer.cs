using System.Buffers.Binary;
using System.Text;

namespace PrivateInference.Engine.Tokenization;

/// <summary>
/// The llama2.c tokenizer (`tokenizer.bin` format: int32 max_token_length, then per token float32 score, int32 length,
/// raw bytes). Encoding is llama2.c's: BOS, a dummy leading space, UTF-8 code points with byte fallback, then greedy
/// merging of the adjacent pair whose merge scores highest.
/// </summary>
public sealed class Llama2cTokenizer
{
    public const int Unknown = 0, Bos = 1, Eos = 2;
    private const int ByteFallbackBase = 3;

    private static readonly byte[][] SingleBytes = Enumerable.Range(0, 256).Select(b => new[] { (byte)b }).ToArray();

    private readonly byte[][] _pieces;
    private readonly float[] _scores;
    // Latin-1 maps each byte to one char, so byte strings become dictionary keys without any UTF-8 validation.
    private readonly Dictionary<string, int> _ids;

    public int VocabSize => _pieces.Length;
    public int MaxTokenLength { get; }

    public Llama2cTokenizer(IReadOnlyList<byte[]> pieces, IReadOnlyList<float> scores, int maxTokenLength)
    {
        _pieces = [.. pieces];
        _scores = [.. scores];
        MaxTokenLength = maxTokenLength;
        _ids = new Dictionary<string, int>(_pieces.Length, StringComparer.Ordinal);
        for (int i = 0; i < _pieces.Length; i++)
            _ids.TryAdd(Encoding.Latin1.GetString(_pieces[i]), i); // first id wins, as in llama2.c's sorted lookup
    }

    public static Llama2cTokenizer Load(string path)
    {
        if (!File.Exists(path))
            throw new InputException($"tokenizer file not found: {path}");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4)
            throw new InputException($"tokenizer file {path} is truncated ({bytes.Length} bytes)");
        int maxLen = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (maxLen <= 0 || maxLen > 1024)
            throw new InputException($"tokenizer file {path} is corrupt: max_token_length {maxLen}");
        var pieces = new List<byte[]>();
        var scores = new List<float>();
        int at = 4;
        while (at < bytes.Length)
        {
            if (at + 8 > bytes.Length)
                throw new InputException($"tokenizer file {path} is truncated inside token {pieces.Count}");
            float score = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at));
            int len = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 4));
            at += 8;
            if (len < 0 || len > maxLen || at + len > bytes.Length || !float.IsFinite(score))
                throw new InputException($"tokenizer file {path} is corrupt at token {pieces.Count} (length {len})");
            pieces.Add(bytes.AsSpan(at, len).ToArray());
            scores.Add(score);
            at += len;
        }
        if (pieces.Count < ByteFallbackBase + 256)
            throw new InputException($"tokenizer file {path} has only {pieces.Count} tokens; a llama2.c tokenizer has at least 259");
        return new Llama2cTokenizer(pieces, scores, maxLen);
    }

    /// <summary>BOS followed by the tokens of <paramref name="text"/> (no EOS).</summary>
    public List<int> Encode(string text, bool bos = true)
    {
        var tokens = new List<int>(text.Length + 2);
        if (bos) tokens.Add(Bos);
        if (text.Length == 0) return tokens;

        var utf8 = Encoding.UTF8.GetBytes(" " + text);
        var ids = new List<int>(utf8.Length);
        for (int i = 0; i < utf8.Length;)
        {
            int len = Utf8SequenceLength(utf8, i);
            if (_ids.TryGetValue(Encoding.Latin1.GetString(utf8, i, len), out int id))
                ids.Add(id);
            else
                for (int b = 0; b < len; b++) ids.Add(utf8[i + b] + ByteFallbackBase);
            i += len;
        }
        MergeGreedily(ids);
        tokens.AddRange(ids);
        return tokens;
    }

    private void MergeGreedily(List<int> ids)
    {
        var sb = new StringBuilder(2 * MaxTokenLength);
        while (true)
        {
            float bestScore = float.NegativeInfinity;
            int bestId = -1, bestAt = -1;
            for (int i = 0; i + 1 < ids.Count; i++)
            {
                sb.Clear();
                sb.Append(Encoding.Latin1.GetString(_pieces[ids[i]]));
                sb.Append(Encoding.Latin1.GetString(_pieces[ids[i + 1]]));
                if (_ids.TryGetValue(sb.ToString(), out int id) && _scores[id] > bestScore)
                {
                    bestScore = _scores[id];
                    bestId = id;
                    bestAt = i;
                }
            }
            if (bestAt < 0) return;
            ids[bestAt] = bestId;
            ids.RemoveAt(bestAt + 1);
        }
    }

    // llama2.c groups a lead byte with its continuation bytes (at most 4) before looking the code point up.
    private static int Utf8SequenceLength(byte[] s, int i)
    {
        int len = 1;
        while (i + len < s.Length && (s[i + len] & 0xC0) == 0x80 && len < 4) len++;
        return len;
    }

    /// <summary>The bytes <paramref name="token"/> stands for when it follows <paramref name="previous"/>.</summary>
    public ReadOnlySpan<byte> DecodePiece(int previous, int token)
    {
        if ((uint)token >= (uint)_pieces.Length)
            throw new InputException($"token id {token} is outside the vocabulary (0..{_pieces.Length - 1})");
        ReadOnlySpan<byte> piece = _pieces[token];
        if (previous == Bos && piece.Length > 0 && piece[0] == (byte)' ')
            piece = piece[1..];
        if (piece.Length == 6 && piece[0] == '<' && piece[1] == '0' && piece[2] == 'x' && piece[5] == '>'
            && IsHex(piece[3]) && IsHex(piece[4]))
            return SingleBytes[Convert.ToInt32(Encoding.ASCII.GetString(piece.Slice(3, 2)), 16)];
        return piece;
    }

    /// <summary>Decodes a token sequence (the leading BOS, if any, only affects the first piece's space).</summary>
    public string Decode(IReadOnlyList<int> tokens)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] == Bos || tokens[i] == Eos) continue;
            bytes.AddRange(DecodePiece(i == 0 ? -1 : tokens[i - 1], tokens[i]).ToArray());
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public string Piece(int token) => Encoding.UTF8.GetString(_pieces[token]);

    private static bool IsHex(byte c) => c is >= (byte)'0' and <= (byte)'9' or >= (byte)'A' and <= (byte)'F' or >= (byte)'a' and <= (byte)'f';
}
