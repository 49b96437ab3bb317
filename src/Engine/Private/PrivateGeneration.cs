using System.Diagnostics;
using PrivateInference.Engine.Models;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Protocols;
using PrivateInference.Protocols.Communication;

namespace PrivateInference.Engine.Private;

/// <summary>What every participant knows of a run: the public sizes and the cache policy.</summary>
public sealed record PrivateRunSettings(int PromptLength, int MaxTokens, CachePolicies.CachePolicyOptions? Cache = null);

/// <summary>The client's private part of a run: its prompt and how it picks tokens.</summary>
public sealed class ClientInputs(IReadOnlyList<int> prompt, Sampler sampler, Action<int>? onToken = null)
{
    public IReadOnlyList<int> Prompt { get; } = prompt;
    public Sampler Sampler { get; } = sampler;
    public Action<int>? OnToken { get; } = onToken;
}

/// <summary>One participant's view of a finished run. Only the client's has tokens and logits.</summary>
public sealed class PrivateRunResult
{
    public int PartyId { get; init; }
    public List<int> Tokens { get; } = [];
    public List<double[]> Logits { get; } = [];
    public double PrefillMs { get; set; }
    public List<double> DecodeMs { get; } = [];
    public CommStats Total { get; set; } = new();
    public CommStats Setup { get; set; } = new();
    public CommStats Prefill { get; set; } = new();
    /// <summary>Communication of each decode step (one generated token fed back).</summary>
    public List<CommStats> DecodeSteps { get; } = [];
    /// <summary>The last decode step's communication per operation label (labels nest: "softmax" includes its "exp").</summary>
    public Dictionary<string, CommStats> LastStepByLabel { get; } = [];
    /// <summary>The prefill's communication per operation label (labels nest as in <see cref="LastStepByLabel"/>).</summary>
    public Dictionary<string, CommStats> PrefillByLabel { get; } = [];

    /// <summary>Keeps the per-label communication between two snapshots of the channel's counters.</summary>
    public void RecordLastStep(IReadOnlyDictionary<string, CommStats> before, IReadOnlyDictionary<string, CommStats> after) =>
        Record(LastStepByLabel, before, after);

    /// <summary>Keeps the prefill's per-label communication between two snapshots of the channel's counters.</summary>
    public void RecordPrefill(IReadOnlyDictionary<string, CommStats> before, IReadOnlyDictionary<string, CommStats> after) =>
        Record(PrefillByLabel, before, after);

    private static void Record(Dictionary<string, CommStats> into, IReadOnlyDictionary<string, CommStats> before, IReadOnlyDictionary<string, CommStats> after)
    {
        into.Clear();
        foreach (var (label, stats) in after)
        {
            var delta = before.TryGetValue(label, out var b) ? stats - b : stats;
            if (delta.Rounds > 0 || delta.BytesSent > 0) into[label] = delta;
        }
    }
}

/// <summary>
/// Private generation as one SPMD program that the model owner, the client and the compute parties all run on
/// their own <see cref="MpcContext"/>: the owner shares the weights once; the client shares the prompt as one-hot
/// rows, receives only logit shares, reconstructs and samples, and shares each new token back; the compute parties
/// see shares and public sizes only. The number of generated tokens is public (the client announces stop).
/// </summary>
public static class PrivateGeneration
{
    /// <param name="stored">Set when the session is served from weight shares the parties keep at rest (no owner takes
    /// part): each compute party passes its own, the client passes <paramref name="fromStore"/> true and null.</param>
    public static PrivateRunResult Run(MpcContext ctx, LlamaConfig config, PrivateRunSettings run, FoldedWeights? owner, ClientInputs? client,
        bool fromStore = false, WeightShares? stored = null)
    {
        if (ctx.PartyId == PartyIds.Client && client is null) throw new ArgumentException("the client runs with its inputs");
        if (ctx.PartyId == PartyIds.ModelOwner && (owner is null || fromStore)) throw new ArgumentException("the model owner runs with its weights, and only in sessions it shares them in");
        if (fromStore && ctx.HoldsShares && stored is null) throw new ArgumentException("a session served from stored shares needs this party's shares");
        if (run.PromptLength < 1 || run.PromptLength > config.SeqLen || run.MaxTokens < 1 || run.PromptLength - 1 + run.MaxTokens > config.SeqLen)
            throw new InputException($"prompt of {run.PromptLength} tokens and {run.MaxTokens} new ones do not fit the context of {config.SeqLen}");
        var result = new PrivateRunResult { PartyId = ctx.PartyId };
        var before = ctx.Channel.Total;
        var weights = fromStore ? PrivateWeights.FromStored(ctx, config, stored) : PrivateWeights.Share(ctx, config, owner);
        result.Setup = ctx.Channel.Total - before;
        if (ctx.PartyId == PartyIds.ModelOwner)
        {
            result.Total = ctx.Channel.Total;
            return result;
        }

        var policy = run.Cache is { Kind: not CachePolicies.CachePolicyKind.Full } cache
            ? new CachePolicies.PrivateCachePolicy(ctx, config, cache, run.PromptLength) : null;
        var model = new PrivateTransformer(ctx, config, weights, policy);
        var clock = Stopwatch.StartNew();
        var mark = ctx.Channel.Total;
        var prefillBefore = ctx.Channel.ByLabel;
        double[]? logits;
        using (ctx.Scope("prefill"))
            logits = Step(ctx, model, config, client?.Prompt, run.PromptLength);
        result.PrefillMs = clock.Elapsed.TotalMilliseconds;
        result.Prefill = ctx.Channel.Total - mark;
        result.RecordPrefill(prefillBefore, ctx.Channel.ByLabel);

        for (int produced = 0; ; )
        {
            int next = -1;
            if (client is not null)
            {
                result.Logits.Add(logits!);
                next = client.Sampler.Sample(Array.ConvertAll(logits!, v => (float)v));
            }
            bool stop = AnnounceStop(ctx, client is not null && (next is Llama2cTokenizer.Bos or Llama2cTokenizer.Eos));
            if (stop) break;
            if (client is not null)
            {
                result.Tokens.Add(next);
                client.OnToken?.Invoke(next);
            }
            if (++produced == run.MaxTokens) break;
            clock.Restart();
            mark = ctx.Channel.Total;
            var labelsBefore = ctx.Channel.ByLabel;
            using (ctx.Scope("decode"))
                logits = Step(ctx, model, config, client is null ? null : [next], 1);
            result.DecodeMs.Add(clock.Elapsed.TotalMilliseconds);
            result.DecodeSteps.Add(ctx.Channel.Total - mark);
            result.RecordLastStep(labelsBefore, ctx.Channel.ByLabel);
        }
        result.Total = ctx.Channel.Total;
        return result;
    }

    /// <summary>Shares <paramref name="count"/> tokens (known to the client only) as one-hot rows, runs them, and
    /// reveals the last logits to the client; null everywhere else.</summary>
    private static double[]? Step(MpcContext ctx, PrivateTransformer model, LlamaConfig config, IReadOnlyList<int>? tokens, int count)
    {
        ulong[]? oneHot = null;
        if (tokens is not null)
        {
            oneHot = new ulong[count * config.VocabSize];
            for (int i = 0; i < count; i++)
            {
                if ((uint)tokens[i] >= (uint)config.VocabSize)
                    throw new InputException($"token id {tokens[i]} is outside the vocabulary (0..{config.VocabSize - 1})");
                oneHot[i * config.VocabSize + tokens[i]] = 1;
            }
        }
        var x = ctx.InputRing(PartyIds.Client, [count, config.VocabSize], oneHot, 0);
        return ctx.Reveal(model.Forward(x), PartyIds.Client);
    }

    /// <summary>The client tells the compute parties whether generation goes on: a public bit, as the token count is.</summary>
    private static bool AnnounceStop(MpcContext ctx, bool stop)
    {
        Span<byte> flag = [stop ? (byte)1 : (byte)0];
        if (ctx.PartyId == PartyIds.Client)
        {
            foreach (var p in PartyIds.ComputeParties) ctx.Channel.Send(p, flag);
            return stop;
        }
        ctx.Channel.Receive(PartyIds.Client, flag);
        return flag[0] == 1;
    }
}
