using PrivateInference.Engine.Evaluation;

namespace PrivateInference.Engine.Tests.Evaluation;

public sealed class TextChunksTests
{
    [Fact]
    public void SplitsOnBlankLinesStripsAndDropsEmptyChunks() =>
        Assert.Equal(["a b", "c\nd", "e"], TextChunks.Split("  a b \n\n\nc\nd\r\n\r\n \n\n e\n\n"));

    [Fact]
    public void NonUtf8FileIsAnInputError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [0x41, 0xFF, 0xFE, 0x42]);
            Assert.Contains("not valid UTF-8", Assert.Throws<InputException>(() => TextChunks.ReadUtf8(path)).Message);
        }
        finally { File.Delete(path); }
    }
}
