using System.Numerics.Tensors;

namespace PrivateInference.Engine.KvCache;

/// <summary>
/// One cached stream of rows, position by position: the newest rows sit in the recent window as fp16, older ones are
/// quantized in the stream's <see cref="StreamFormat"/>. The owner decides when a row leaves the window and what value
/// is quantized for it (XQuant-CL quantizes a delta, not the row it kept), so rows enter with
/// <see cref="AppendRecent"/> and leave with <see cref="QuantizeNext"/>, oldest first.
/// </summary>
internal sealed class QuantizedRowStream
{
    private readonly StreamFormat _format;
    private readonly int _width, _levelsBits;
    private readonly Half[] _recent;
    private readonly byte[] _codes;
    private readonly float[] _exact;
    // Per token: [row][group]; per channel: [block][channel]. The float copies mirror the fp16 values for decoding.
    private readonly Half[] _scale, _zero;
    private readonly float[] _scaleF, _zeroF;

    public QuantizedRowStream(StreamFormat format, int capacity)
    {
        _format = format;
        _width = format.Width;
        _levelsBits = format.Bits ?? 0;
        _recent = new Half[capacity * _width];
        bool exact = format.Bits is null;
        _exact = exact ? new float[capacity * _width] : [];
        _codes = exact ? [] : new byte[capacity * _width];
        int scales = exact ? 0 : format.Axis == QuantizationAxis.PerToken
            ? capacity * format.TokenGroups
            : (capacity + StreamFormat.ChannelBlockTokens - 1) / StreamFormat.ChannelBlockTokens * _width;
        _scale = new Half[scales];
        _zero = new Half[scales];
        _scaleF = new float[scales];
        _zeroF = new float[scales];
    }

    public StreamFormat Format => _format;

    /// <summary>Rows stored so far (positions 0..Count-1).</summary>
    public int Count { get; private set; }

    /// <summary>Rows quantized so far: positions below this are quantized, the rest are recent.</summary>
    public int Quantized { get; private set; }

    public long BytesHeld => _format.BytesHeld(Quantized, Count - Quantized);

    public void AppendRecent(ReadOnlySpan<float> row)
    {
        TensorPrimitives.ConvertToHalf(row, _recent.AsSpan(Count * _width, _width));
        Count++;
    }

    /// <summary>Quantizes the oldest recent row, storing <paramref name="value"/> for it.</summary>
    public void QuantizeNext(ReadOnlySpan<float> value)
    {
        if (Quantized >= Count) throw new InvalidOperationException("no recent row left to quantize");
        int row = Quantized;
        if (_format.Bits is null)
            value.CopyTo(_exact.AsSpan(row * _width, _width));
        else if (_format.Axis == QuantizationAxis.PerToken)
            QuantizePerToken(row, value);
        else
            QuantizePerChannel(row, value);
        Quantized++;
    }

    /// <summary>Writes what the cache holds for <paramref name="pos"/>: the dequantized value, or the recent row.</summary>
    public void Read(int pos, Span<float> destination)
    {
        var dst = destination[.._width];
        if (pos >= Quantized)
        {
            TensorPrimitives.ConvertToSingle(_recent.AsSpan(pos * _width, _width), dst);
            return;
        }
        if (_format.Bits is null)
        {
            _exact.AsSpan(pos * _width, _width).CopyTo(dst);
            return;
        }
        var codes = _codes.AsSpan(pos * _width, _width);
        TensorPrimitives.ConvertChecked(codes, dst);
        if (_format.Axis == QuantizationAxis.PerToken)
        {
            int groups = _format.TokenGroups;
            for (int g = 0; g < groups; g++)
            {
                int start = g * StreamFormat.TokenGroup, length = Math.Min(StreamFormat.TokenGroup, _width - start);
                int at = pos * groups + g;
                var group = dst.Slice(start, length);
                TensorPrimitives.Multiply(group, _scaleF[at], group);
                TensorPrimitives.Add(group, _zeroF[at], group);
            }
        }
        else
        {
            int at = pos / StreamFormat.ChannelBlockTokens * _width;
            TensorPrimitives.FusedMultiplyAdd(dst, _scaleF.AsSpan(at, _width), _zeroF.AsSpan(at, _width), dst);
        }
    }

    public bool IsQuantized(int pos) => pos < Quantized;

    private void QuantizePerToken(int row, ReadOnlySpan<float> value)
    {
        int groups = _format.TokenGroups;
        for (int g = 0; g < groups; g++)
        {
            int start = g * StreamFormat.TokenGroup, length = Math.Min(StreamFormat.TokenGroup, _width - start);
            var (scale, zero) = UniformQuantizer.Quantize(value.Slice(start, length), _levelsBits,
                _codes.AsSpan(row * _width + start, length));
            SetScale(row * groups + g, scale, zero);
        }
    }

    /// <summary>
    /// Per-channel scales need several tokens, but a token may not wait in full precision (the window can be off). So the
    /// open block's range grows as tokens arrive: a value outside a channel's current range widens it, and that channel's
    /// earlier codes in the block are re-encoded from their decoded values (the originals are gone). Re-encoding adds at
    /// most half a new step of error per widening; a closed block never changes.
    /// </summary>
    private void QuantizePerChannel(int row, ReadOnlySpan<float> value)
    {
        int blockStart = row - row % StreamFormat.ChannelBlockTokens;
        int at = row / StreamFormat.ChannelBlockTokens * _width;
        var codes = _codes.AsSpan(row * _width, _width);
        for (int c = 0; c < _width; c++)
        {
            float v = value[c];
            if (row == blockStart)
            {
                var (s0, z0) = UniformQuantizer.Range(v, v, _levelsBits);
                SetScale(at + c, s0, z0);
                codes[c] = UniformQuantizer.Encode(v, _levelsBits, _scaleF[at + c], _zeroF[at + c]);
                continue;
            }
            float scale = _scaleF[at + c], zero = _zeroF[at + c];
            float top = zero + scale * UniformQuantizer.Levels(_levelsBits);
            if (v < zero || v > top)
            {
                var (s, z) = UniformQuantizer.Range(MathF.Min(v, zero), MathF.Max(v, top), _levelsBits);
                float newScale = (float)s, newZero = (float)z;
                for (int r = blockStart; r < row; r++)
                {
                    ref byte code = ref _codes[r * _width + c];
                    code = UniformQuantizer.Encode(UniformQuantizer.Decode(code, scale, zero), _levelsBits, newScale, newZero);
                }
                SetScale(at + c, s, z);
            }
            codes[c] = UniformQuantizer.Encode(v, _levelsBits, _scaleF[at + c], _zeroF[at + c]);
        }
    }

    private void SetScale(int at, Half scale, Half zero)
    {
        _scale[at] = scale;
        _zero[at] = zero;
        _scaleF[at] = (float)scale;
        _zeroF[at] = (float)zero;
    }
}
