using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;

namespace PrivateInference.Parties.Storage;

/// <summary>A model whose weight shares a party holds: the public terms a session must match.</summary>
public sealed record HeldModel(string ModelHash, string Scheme, int FracBits)
{
    /// <summary>As the health reply and `pi models` print it.</summary>
    public override string ToString() => $"{ModelHash} {Scheme} frac_bits={FracBits}";
}

/// <summary>
/// A party's folder of weight shares at rest (`pi party --store DIR`): one file per model, scheme and fixed-point bits,
/// written when the model owner shares a model (`pi owner share`) and read by every later session of that model, also
/// after the party restarts. The folder is created owner-only (0700), each file 0600.
/// </summary>
public sealed class ShareStore
{
    private readonly ClusterConfig _cluster;
    private readonly int _partyId;

    public ShareStore(string directory, ClusterConfig cluster, int partyId)
    {
        Directory = Path.GetFullPath(directory);
        _cluster = cluster;
        _partyId = partyId;
        try
        {
            if (OperatingSystem.IsWindows())
                System.IO.Directory.CreateDirectory(Directory);
            else
                System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ShareFileException($"cannot use share folder '{Directory}': {e.Message}");
        }
    }

    public string Directory { get; }

    public string PathOf(HeldModel model) =>
        Path.Combine(Directory, $"{model.ModelHash}-{model.Scheme}-f{model.FracBits}.pishares");

    /// <summary>The models whose shares are here and readable (a file that fails its checks is left out).</summary>
    public IReadOnlyList<HeldModel> Held()
    {
        var held = new List<HeldModel>();
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*.pishares").Order())
        {
            try
            {
                var header = ShareFile.ReadHeader(file);
                if (header.ClusterId == _cluster.ClusterId && header.PartyId == _partyId)
                    held.Add(new HeldModel(header.ModelHash, header.Scheme, header.FracBits));
            }
            catch (ShareFileException)
            {
                // Listed as held only when usable; a session asking for it gets the file's own error from Load.
            }
        }
        return held;
    }

    public bool Holds(HeldModel model) => File.Exists(PathOf(model));

    /// <summary>Checks, without loading the shares, that the file of <paramref name="model"/> is there, intact and this
    /// party's; throws <see cref="ShareFileException"/> as <see cref="Load"/> would.</summary>
    public void Check(HeldModel model)
    {
        var path = PathOf(model);
        if (!File.Exists(path))
            throw Missing(model);
        var header = ShareFile.ReadHeader(path);
        CheckHeader(path, header, model);
    }

    private ShareFileException Missing(HeldModel model) =>
        new($"party {_partyId} holds no weight shares of model {model.ModelHash} for {model.Scheme} at {model.FracBits} fractional bits: share it with `pi owner share` first");

    private void CheckHeader(string path, ShareFileHeader header, HeldModel model)
    {
        if (header.ClusterId != _cluster.ClusterId || header.PartyId != _partyId)
            throw new ShareFileException($"share file '{path}' was made for party {header.PartyId} of cluster '{header.ClusterId}', not party {_partyId} of '{_cluster.ClusterId}'");
        if (new HeldModel(header.ModelHash, header.Scheme, header.FracBits) != model)
            throw new ShareFileException($"share file '{path}' holds model {header.ModelHash} for {header.Scheme} at {header.FracBits} fractional bits, not what its name says");
    }

    /// <summary>This party's shares of <paramref name="model"/>; throws <see cref="ShareFileException"/> with one line
    /// when there are none, or the file is corrupted or was made for another party, cluster or model.</summary>
    public WeightShares Load(HeldModel model)
    {
        var path = PathOf(model);
        if (!File.Exists(path))
            throw Missing(model);
        var (header, shares) = ShareFile.Read(path);
        CheckHeader(path, header, model);
        return shares;
    }

    public void Save(HeldModel model, WeightShares shares)
    {
        var (ints, floats) = ShareFileHeader.Describe(shares.Config);
        ShareFile.Write(PathOf(model), new ShareFileHeader
        {
            ModelHash = model.ModelHash, Scheme = model.Scheme, FracBits = model.FracBits, ClusterId = _cluster.ClusterId, PartyId = _partyId,
            Shape = ints, ShapeFloats = floats, SharedClassifier = shares.Config.SharedClassifier,
            TensorNames = shares.Tensors.Select(t => t.Name).ToArray(), CreatedUtc = DateTime.UtcNow,
        }, shares);
    }
}
