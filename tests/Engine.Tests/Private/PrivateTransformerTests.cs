using PrivateInference.Engine.Private;
using PrivateInference.Engine.Sampling;
using PrivateInference.Engine.Tokenization;
using PrivateInference.Protocols;

namespace PrivateInference.Engine.Tests.Private;

/// <summary><see cref="PrivateTransformer"/>'s layout of the helper's roles over the layers (its arithmetic is checked
/// against the plaintext engine by <see cref="PrivateGenerationTests"/>).</summary>
public sealed class PrivateTransformerTests
{
    [Theory]
    [InlineData(1, new[] { 0 })]
    [InlineData(2, new[] { 0, 1 })]
    [InlineData(3, new[] { 0, 1, 2 })]
    [InlineData(5, new[] { 0, 0, 1, 1, 2 })]
    [InlineData(12, new[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 })]
    public void The_layers_run_in_three_contiguous_blocks_of_roles(int layers, int[] shifts)
    {
        Assert.Equal(shifts, Enumerable.Range(0, layers).Select(l => PrivateTransformer.HelperShift(l, layers)).ToArray());
    }

    /// <summary>stories260K has five layers: P2 helps in two, P0 in two, P1 in one. Only the helper sends preprocessing,
    /// so each party sends some, and the prefill's bytes are spread over the three (the busiest sent 1.78x the others
    /// when P2 helped throughout).</summary>
    [Fact]
    public void In_3pc_every_compute_party_helps_for_a_block_of_layers()
    {
        var tokenizer = Llama2cTokenizer.Load(SharedAssets.TokenizerPath);
        var prompt = tokenizer.Encode("Once upon a time, there was a little girl named Lily. She loved to play outside.");
        var results = InProcessPrivateRun.Generate(SchemeKind.ThreePc, SharedAssets.Stories260K, new ClientInputs(prompt, new Sampler(0, 0.9f, 1)), 1);
        var prefill = results[..3].Select(r => r.Prefill).ToArray();
        for (int p = 0; p < 3; p++) Assert.True(prefill[p].PreprocessingBytesSent > 0, $"P{p} dealt nothing in the prefill");
        long most = prefill.Max(s => s.BytesSent), least = prefill.Min(s => s.BytesSent);
        Assert.True(most < 1.25 * least, $"prefill bytes per party {string.Join(" / ", prefill.Select(s => s.BytesSent))}");
        // Two changes of roles: the residual stream is adopted twice per pass, one round each.
        Assert.All(results[..3], r => Assert.Equal(2, r.PrefillByLabel["adopt"].Rounds));
    }
}
