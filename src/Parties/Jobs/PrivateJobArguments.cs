using System.Globalization;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Private;
using PrivateInference.Parties.Clusters;
using PrivateInference.Parties.Protos;
using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols;

namespace PrivateInference.Parties.Jobs;

/// <summary>
/// The public parameters of a private job as job arguments (the model's typed shape, scheme, fixed point, sizes), and the
/// per-party communication figures the parties send back. Nothing secret ever goes through either.
/// </summary>
public static class PrivateJobArguments
{
    /// <summary>Job argument naming where the weights of a session come from: <see cref="OwnerWeights"/> (default, the
    /// owner shares them in the session) or <see cref="StoredWeights"/> (each party's shares at rest).</summary>
    public const string WeightsArgument = "weights";
    public const string OwnerWeights = "owner";
    public const string StoredWeights = "stored";

    /// <summary>A private job's arguments: the session terms and the model's typed shape with its domains.</summary>
    public static JobArguments For(LlamaConfig c, NonlinearDomains domains, SchemeKind scheme, int fracBits) => new(new Dictionary<string, string>
    {
        [SessionTerms.SchemeArgument] = scheme == SchemeKind.ThreePc ? "3pc" : "2pc",
        [SessionTerms.FracBitsArgument] = Str(fracBits),
        [SessionTerms.ModelHashArgument] = ModelHash(c, domains),
        [SessionTerms.CachePolicyArgument] = SessionTerms.FullCache,
    }, Shape(c, domains));

    /// <summary>As above for the owner's folded weights (the domains derived from them).</summary>
    public static JobArguments For(FoldedWeights w, SchemeKind scheme, int fracBits) => For(w.Config, w.Domains, scheme, fracBits);

    /// <summary>The public shape of <paramref name="c"/> and its domains as the wire carries them.</summary>
    public static ModelShape Shape(LlamaConfig c, NonlinearDomains domains) => new()
    {
        Dim = c.Dim, Hidden = c.HiddenDim, Layers = c.Layers, Heads = c.Heads, KvHeads = c.KvHeads, Vocab = c.VocabSize,
        SeqLen = c.SeqLen, SharedClassifier = c.SharedClassifier, RmsEps = c.RmsEps, RopeTheta = c.RopeTheta,
        ScoreRangeLog2 = domains.ScoreLog2, GateRangeLog2 = domains.GateLog2,
    };

    public static LlamaConfig Config(PartyJobContext ctx) => Config(ctx.Model);

    /// <summary>The domains a session names; <see cref="ArgumentException"/> when they are missing or outside what the
    /// protocols accept.</summary>
    public static NonlinearDomains Domains(ModelShape? shape)
    {
        if (shape is null) throw new ArgumentException("the session names no model shape");
        try
        {
            return new NonlinearDomains(shape.ScoreRangeLog2, shape.GateRangeLog2).Validated();
        }
        catch (Engine.InputException e)
        {
            throw new ArgumentException($"model shape fields 'score_range_log2' and 'gate_range_log2': {e.Message}");
        }
    }

    /// <summary>
    /// The public model shape of a session; throws <see cref="ArgumentException"/> (naming the field) when it is
    /// missing, a size is out of the bounds below, or the shape is inconsistent, so a party refuses it instead of
    /// allocating for it.
    /// </summary>
    public static LlamaConfig Config(ModelShape? shape)
    {
        if (shape is null) throw new ArgumentException("the session names no model shape");
        static int I(string name, int value, int max) =>
            value >= 1 && value <= max ? value : throw new ArgumentException($"model shape field '{name}' must be an integer in 1..{max}, not {value}");
        static float F(string name, float value) =>
            float.IsFinite(value) && value > 0 ? value : throw new ArgumentException($"model shape field '{name}' must be a positive number");
        // Generous bounds (far above any model this engine can run privately) that still stop absurd allocations.
        var config = new LlamaConfig(I("dim", shape.Dim, 1 << 14), I("hidden", shape.Hidden, 1 << 16), I("layers", shape.Layers, 256),
            I("heads", shape.Heads, 256), I("kv_heads", shape.KvHeads, 256), I("vocab", shape.Vocab, 1 << 18), I("seq_len", shape.SeqLen, 1 << 16),
            shape.SharedClassifier, F("rms_eps", shape.RmsEps), F("rope_theta", shape.RopeTheta));
        try
        {
            config.Validate();
        }
        catch (Engine.InputException e)
        {
            throw new ArgumentException(e.Message);
        }
        return config;
    }

    /// <summary>
    /// The model hash of a session: SHA-256 over the public configuration, the nonlinear domains and the shapes of the
    /// folded weights the owner will share. Parties never see weights, so this is what they can pin; the owner
    /// recomputes it from the weights it actually holds, domains included (<see cref="CheckOwnerModel"/>), so a session
    /// whose domains are narrower than the weights allow is refused before any weight moves.
    /// </summary>
    public static string ModelHash(LlamaConfig c, NonlinearDomains domains)
    {
        int kv = c.KvDim;
        var shapes = new Dictionary<string, long[]>
        {
            ["embedding"] = [(long)c.VocabSize * c.Dim],
            ["wqkv"] = Repeat(c.Layers, (long)c.Dim * (c.Dim + 2 * kv)),
            ["wo"] = Repeat(c.Layers, (long)c.Dim * c.Dim),
            ["w13"] = Repeat(c.Layers, (long)c.Dim * 2 * c.HiddenDim),
            ["w2"] = Repeat(c.Layers, (long)c.HiddenDim * c.Dim),
            ["classifier"] = [(long)c.Dim * c.VocabSize],
        };
        return Hash(c, domains, shapes);
    }

    /// <summary>The model hash of the weights an owner holds, from their actual sizes.</summary>
    public static string ModelHash(FoldedWeights w) => Hash(w.Config, w.Domains, new Dictionary<string, long[]>
    {
        ["embedding"] = [w.Embedding.LongLength],
        ["wqkv"] = [.. w.Wqkv.Select(a => a.LongLength)],
        ["wo"] = [.. w.Wo.Select(a => a.LongLength)],
        ["w13"] = [.. w.W13.Select(a => a.LongLength)],
        ["w2"] = [.. w.W2.Select(a => a.LongLength)],
        ["classifier"] = [w.Classifier.LongLength],
    });

    /// <summary>The owner refuses, before sharing any weight, a session opened for another model.</summary>
    public static void CheckOwnerModel(PartyJobContext ctx, FoldedWeights? owner)
    {
        if (owner is null || ctx.PartyId != PartyIds.ModelOwner)
            return;
        var held = ModelHash(owner);
        var proposed = CertificateFingerprint.Normalize(ctx.Argument(SessionTerms.ModelHashArgument, "")) ?? "none";
        if (held != proposed)
            throw new SessionTermsException(SessionTerms.ModelHashArgument,
                $"session terms disagree on {SessionTerms.ModelHashArgument}: the session was opened for {proposed}, the model owner holds {held}");
    }

    /// <summary>The client refuses, before sharing anything, token ids the model cannot embed (parties could not
    /// check them: they only ever see shares).</summary>
    public static void CheckTokens(IEnumerable<int> tokens, LlamaConfig config)
    {
        foreach (var token in tokens)
            if (token < 0 || token >= config.VocabSize)
                throw new ArgumentException($"token id {token} is outside the vocabulary (0..{config.VocabSize - 1})");
    }

    /// <summary>What every private job checks when its session is opened: the terms, the shape, and that the
    /// client and the model owner take part.</summary>
    public static LlamaConfig ValidateOpen(JobArguments arguments, ClusterConfig cluster,
        IReadOnlyCollection<int> externalEndpoints, SessionTerms expected) =>
        ValidateOpen(arguments, cluster, externalEndpoints, expected, [PartyIds.Client, PartyIds.ModelOwner]);

    /// <summary>As above, with the outside endpoints this kind of session needs (the client alone when the parties serve
    /// it from stored shares, the owner alone when it shares weights for storage); any other outside endpoint is refused.</summary>
    public static LlamaConfig ValidateOpen(JobArguments arguments, ClusterConfig cluster,
        IReadOnlyCollection<int> externalEndpoints, SessionTerms expected, int[] required)
    {
        expected.Check(arguments.Values, cluster);
        var config = Config(arguments.Model);
        if (ModelHash(config, Domains(arguments.Model)) != CertificateFingerprint.Normalize(arguments.Values[SessionTerms.ModelHashArgument]))
            throw new SessionTermsException(SessionTerms.ModelHashArgument,
                $"session terms disagree on {SessionTerms.ModelHashArgument}: it does not match the model shape the session names");
        foreach (var e in required)
            if (!externalEndpoints.Contains(e))
                throw new ArgumentException($"this session needs the {Endpoints.Name(e)}; endpoint {e} is not linked to it");
        foreach (var e in externalEndpoints)
            if (!required.Contains(e))
                throw new ArgumentException($"the {Endpoints.Name(e)} takes no part in this session; endpoint {e} may not be linked to it");
        return config;
    }

    /// <summary>An integer job argument within bounds, or <see cref="ArgumentException"/> naming it.</summary>
    public static int Bounded(IReadOnlyDictionary<string, string> arguments, string name, int min, int max)
    {
        var text = arguments.GetValueOrDefault(name) ?? throw new ArgumentException($"job argument '{name}' is missing");
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"job argument '{name}' must be an integer in {min}..{max}, not '{SessionTerms.Clip(text)}'");
    }

    private static long[] Repeat(int count, long value) => Enumerable.Repeat(value, count).ToArray();

    private static string Hash(LlamaConfig c, NonlinearDomains domains, IReadOnlyDictionary<string, long[]> shapes)
    {
        var text = string.Create(CultureInfo.InvariantCulture,
            $"pi-model-v2;dim={c.Dim};hidden={c.HiddenDim};layers={c.Layers};heads={c.Heads};kv_heads={c.KvHeads};vocab={c.VocabSize};" +
            $"seq_len={c.SeqLen};shared_classifier={(c.SharedClassifier ? 1 : 0)};rms_eps={c.RmsEps:R};rope_theta={c.RopeTheta:R};" +
            $"score_range_log2={domains.ScoreLog2};gate_range_log2={domains.GateLog2}");
        foreach (var (name, sizes) in shapes)
            text += $";{name}=" + string.Join(",", sizes.Select(v => v.ToString(CultureInfo.InvariantCulture)));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Opens the MPC session on the job's transport after checking that the cluster runs the asked scheme.</summary>
    public static MpcContext Connect(PartyJobContext ctx) => Connect(ctx, [PartyIds.Client, PartyIds.ModelOwner]);

    /// <summary>As above, for a session whose outside endpoints are <paramref name="required"/>.</summary>
    public static MpcContext Connect(PartyJobContext ctx, int[] required)
    {
        var scheme = ctx.Argument(SessionTerms.SchemeArgument, "3pc");
        if (scheme != ctx.Scheme)
            throw new InvalidOperationException($"this cluster runs {ctx.Scheme}, the run asks for {scheme}");
        // The client and the model owner link to the parties only, so each sees the others it can reach; the parties
        // must see both.
        if (PartyIds.ComputeParties.Contains(ctx.PartyId))
            foreach (var e in required)
                if (!ctx.Endpoints.Contains(e)) throw new InvalidOperationException($"this run needs endpoint {e} ({Endpoints.Name(e)})");
        var options = new MpcOptions { FracBits = checked((int)ctx.LongArgument("frac_bits", 16)), SessionLabel = ctx.SessionId };
        return MpcContext.Create(scheme == "2pc" ? SchemeKind.TwoPcDealer : SchemeKind.ThreePc, ctx.Transport, ctx.Endpoints,
            Domains(ctx.Model).ApplyTo(options));
    }

    public static string Encode(CommStats s) =>
        string.Join(",", new[] { s.BytesSent, s.BytesReceived, s.MessagesSent, s.MessagesReceived, s.Rounds, s.PreprocessingBytesSent,
            BitConverter.DoubleToInt64Bits(s.ElapsedMs) }.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public static CommStats Decode(string text)
    {
        var v = text.Split(',').Select(p => long.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        return new CommStats
        {
            BytesSent = v[0], BytesReceived = v[1], MessagesSent = v[2], MessagesReceived = v[3], Rounds = v[4],
            PreprocessingBytesSent = v.Length > 5 ? v[5] : 0, ElapsedMs = v.Length > 6 ? BitConverter.Int64BitsToDouble(v[6]) : 0,
        };
    }

    /// <summary>The stored model a session asks for: its hash, scheme and fixed-point bits, from the checked terms.</summary>
    public static Storage.HeldModel HeldModel(IReadOnlyDictionary<string, string> arguments) => new(
        CertificateFingerprint.Normalize(arguments[SessionTerms.ModelHashArgument])!, arguments[SessionTerms.SchemeArgument],
        int.Parse(arguments[SessionTerms.FracBitsArgument], CultureInfo.InvariantCulture));

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);
}
