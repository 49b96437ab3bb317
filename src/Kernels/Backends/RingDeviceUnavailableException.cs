namespace PrivateInference.Kernels.Backends;

/// <summary>`--device cuda` was asked for on a machine where no CUDA device can be used.</summary>
public sealed class RingDeviceUnavailableException(string message) : Exception(message);
