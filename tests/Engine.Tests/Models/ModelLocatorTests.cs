using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Models;

public sealed class ModelLocatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("pi-loc").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NameIsLookedUpAsBinInModelsDirFirst()
    {
        File.WriteAllBytes(Path.Combine(_dir, "mine.bin"), [1]);
        Assert.Equal(Path.Combine(_dir, "mine.bin"), new ModelLocator(_dir).ResolveModel("mine"));
    }

    [Fact]
    public void SharedModelsFolderIsFoundWithoutConfiguration() =>
        Assert.EndsWith("stories260K.bin", new ModelLocator().ResolveModel("stories260K"));

    [Fact]
    public void UnknownNameListsTheFoldersSearched()
    {
        var e = Assert.Throws<InputException>(() => new ModelLocator(_dir).ResolveModel("no-such-model"));
        Assert.Contains(_dir, e.Message);
    }

    [Fact]
    public void TokenizerNamedForTheVocabularyBesideTheModelIsPreferred()
    {
        File.WriteAllBytes(Path.Combine(_dir, "m.bin"), [1]);
        File.WriteAllBytes(Path.Combine(_dir, "tok512.bin"), [1]);
        File.WriteAllBytes(Path.Combine(_dir, "tokenizer.bin"), [1]);
        var locator = new ModelLocator(_dir);
        Assert.Equal(Path.Combine(_dir, "tok512.bin"), locator.ResolveTokenizer(null, Path.Combine(_dir, "m.bin"), 512));
        Assert.Equal(Path.Combine(_dir, "tokenizer.bin"), locator.ResolveTokenizer(null, Path.Combine(_dir, "m.bin"), 32000));
    }

    [Fact]
    public void MissingExplicitTokenizerIsAnInputError() =>
        Assert.Throws<InputException>(() => new ModelLocator(_dir).ResolveTokenizer(Path.Combine(_dir, "x.bin"), "m.bin", 512));
}
