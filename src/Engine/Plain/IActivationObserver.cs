namespace PrivateInference.Engine.Plain;

/// <summary>Watches the plaintext forward pass at the inputs of the functions the private protocols approximate.</summary>
public interface IActivationObserver
{
    /// <summary>The residual stream x before an RMSNorm (the private rsqrt sees Σx² + d·eps).</summary>
    void NormInput(ReadOnlySpan<float> x, float eps);
    /// <summary>One head's attention scores before softmax.</summary>
    void Scores(ReadOnlySpan<float> scores);
    /// <summary>SwiGLU's gate input (the SiLU argument).</summary>
    void GateInput(ReadOnlySpan<float> gate);
}
