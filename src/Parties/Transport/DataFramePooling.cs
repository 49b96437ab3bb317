using PrivateInference.Parties.Transport;

namespace PrivateInference.Parties.Protos;

/// <summary>A data frame whose payload lies in a <see cref="FrameBuffers"/> array: whoever consumes the payload last
/// (the link's pump after writing, the inbox after reading) gives the array back. Not part of the wire format.</summary>
public sealed partial class DataFrame
{
    internal byte[]? PooledBuffer { get; set; }
}
