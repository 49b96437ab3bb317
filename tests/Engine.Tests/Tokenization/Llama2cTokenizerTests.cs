using System.Text;
using PrivateInference.Engine.Tokenization;

namespace PrivateInference.Engine.Tests.Tokenization;

public sealed class Llama2cTokenizerTests
{
    private static readonly Lazy<Llama2cTokenizer> Tok512 = new(() => Llama2cTokenizer.Load(SharedAssets.TokenizerPath));

    /// <summary>A vocabulary of the special tokens, the 256 byte fallbacks, then the given pieces with scores.</summary>
    private static Llama2cTokenizer Tiny(params (string Piece, float Score)[] extra)
    {
        var pieces = new List<byte[]> { "<unk>"u8.ToArray(), "\n<s>\n"u8.ToArray(), "\n</s>\n"u8.ToArray() };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++) { pieces.Add(Encoding.ASCII.GetBytes($"<0x{b:X2}>")); scores.Add(0); }
        foreach (var (p, s) in extra) { pieces.Add(Encoding.UTF8.GetBytes(p)); scores.Add(s); }
        return new Llama2cTokenizer(pieces, scores, 16);
    }

    [Fact]
    public void RealTokenizerHas512TokensAndTheKnownFirstMerges()
    {
        var t = Tok512.Value;
        Assert.Equal(512, t.VocabSize);
        Assert.Equal(7, t.MaxTokenLength);
        Assert.Equal(" t", t.Piece(259));
        Assert.Equal("he", t.Piece(260));
    }

    [Fact]
    public void PublishedSampleRoundTrips()
    {
        const string text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
        var tokens = Tok512.Value.Encode(text);
        Assert.Equal(Llama2cTokenizer.Bos, tokens[0]);
        Assert.Equal(text, Tok512.Value.Decode(tokens));
    }

    [Fact]
    public void CharactersOutsideTheVocabularyFallBackToBytes()
    {
        var t = Tiny((" ", -1), ("a", -1));
        var tokens = t.Encode("aé");
        // " " and "a" are pieces; é is not, so its two UTF-8 bytes C3 A9 become byte tokens 3+0xC3 and 3+0xA9.
        Assert.Equal([1, 259, 260, 3 + 0xC3, 3 + 0xA9], tokens);
        Assert.Equal("aé", t.Decode(tokens));
    }

    [Fact]
    public void HighestScoringAdjacentPairMergesFirst()
    {
        // " ab": both " a" and "ab" exist; "ab" scores higher, so it wins and " a" never forms.
        var t = Tiny((" ", -10), ("a", -10), ("b", -10), (" a", -5), ("ab", -1));
        var pieces = t.Encode("ab").Skip(1).Select(t.Piece).ToList();
        Assert.Equal([" ", "ab"], pieces);
    }

    [Fact]
    public void MergesRepeatUntilNoPairExists()
    {
        var t = Tiny((" ", -10), ("a", -10), ("b", -10), ("ab", -1), (" ab", -3));
        Assert.Equal([" ab"], t.Encode("ab").Skip(1).Select(t.Piece));
    }

    [Fact]
    public void EmptyTextIsJustBos() => Assert.Equal([Llama2cTokenizer.Bos], Tok512.Value.Encode(""));

    [Fact]
    public void DecodeStripsTheSpaceAfterBosOnly()
    {
        var t = Tiny((" ", -1), ("a", -1), (" a", 0));
        int spaceA = 3 + 256 + 2;
        Assert.Equal("a", Encoding.UTF8.GetString(t.DecodePiece(Llama2cTokenizer.Bos, spaceA)));
        Assert.Equal(" a", Encoding.UTF8.GetString(t.DecodePiece(spaceA, spaceA)));
    }

    [Fact]
    public void ByteTokensDecodeToRawBytes()
    {
        var t = Tiny();
        Assert.Equal(new byte[] { 0x0A }, t.DecodePiece(5, 3 + 0x0A).ToArray());
    }

    [Fact]
    public void CorruptFileIsAnInputError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [7, 0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0]); // a token of length 99 > max 7
            Assert.Throws<InputException>(() => Llama2cTokenizer.Load(path));
        }
        finally { File.Delete(path); }
    }
}
