using System.Globalization;
using PrivateInference.Engine.Models;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// The public parameters of a private job as job arguments (model shape, scheme, fixed point, sizes), and the
/// per-party communication figures the parties send back. Nothing secret ever goes through either.
/// </summary>
public static class PrivateJobArguments
{
    public static Dictionary<string, string> For(LlamaConfig c, SchemeKind scheme, int fracBits) => new()
    {
        ["scheme"] = scheme == SchemeKind.ThreePc ? "3pc" : "2pc",
        ["frac_bits"] = Str(fracBits),
        ["dim"] = Str(c.Dim), ["hidden"] = Str(c.HiddenDim), ["layers"] = Str(c.Layers), ["heads"] = Str(c.Heads),
        ["kv_heads"] = Str(c.KvHeads), ["vocab"] = Str(c.VocabSize), ["seq_len"] = Str(c.SeqLen),
        ["shared_classifier"] = c.SharedClassifier ? "1" : "0",
        ["rms_eps"] = c.RmsEps.ToString("R", CultureInfo.InvariantCulture), ["rope_theta"] = c.RopeTheta.ToString("R", CultureInfo.InvariantCulture),
    };

    public static LlamaConfig Config(PartyJobContext ctx)
    {
        int I(string name) => checked((int)ctx.LongArgument(name, -1));
        var config = new LlamaConfig(I("dim"), I("hidden"), I("layers"), I("heads"), I("kv_heads"), I("vocab"), I("seq_len"),
            ctx.Argument("shared_classifier", "1") == "1",
            float.Parse(ctx.Argument("rms_eps", "1e-5"), CultureInfo.InvariantCulture),
            float.Parse(ctx.Argument("rope_theta", "10000"), CultureInfo.InvariantCulture));
        config.Validate();
        return config;
    }

    /// <summary>Opens the MPC session on the job's transport after checking that the cluster runs the asked scheme.</summary>
    public static MpcContext Connect(PartyJobContext ctx)
    {
        var scheme = ctx.Argument("scheme", "3pc");
        if (scheme != ctx.Scheme)
            throw new InvalidOperationException($"this cluster runs {ctx.Scheme}, the run asks for {scheme}");
        // The client and the model owner link to the parties only, so each sees the others it can reach; the parties
        // must see both.
        if (PartyIds.ComputeParties.Contains(ctx.PartyId))
            foreach (var e in new[] { PartyIds.Client, PartyIds.ModelOwner })
                if (!ctx.Endpoints.Contains(e)) throw new InvalidOperationException($"a private run needs endpoint {e} (client and model owner)");
        return MpcContext.Create(scheme == "2pc" ? SchemeKind.TwoPcDealer : SchemeKind.ThreePc, ctx.Transport, ctx.Endpoints,
            new MpcOptions { FracBits = checked((int)ctx.LongArgument("frac_bits", 16)), SessionLabel = ctx.SessionId });
    }

    public static string Encode(CommStats s) =>
        string.Join(",", new[] { s.BytesSent, s.BytesReceived, s.MessagesSent, s.MessagesReceived, s.Rounds }.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public static CommStats Decode(string text)
    {
        var v = text.Split(',').Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new CommStats { BytesSent = v[0], BytesReceived = v[1], MessagesSent = v[2], MessagesReceived = v[3], Rounds = v[4] };
    }

    /// <summary>Operation labels (fixed names from the engine and protocols) with their figures.</summary>
    public static string EncodeLabels(IReadOnlyDictionary<string, CommStats> labels) =>
        string.Join(";", labels.Select(kv => $"{kv.Key}={Encode(kv.Value)}"));

    public static IEnumerable<(string Label, CommStats Stats)> DecodeLabels(string text) =>
        text.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            int eq = part.IndexOf('=');
            return (part[..eq], Decode(part[(eq + 1)..]));
        });

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
}
