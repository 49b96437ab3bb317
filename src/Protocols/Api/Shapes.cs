namespace PrivateInference.Protocols;

/// <summary>Numpy-style shape arithmetic (right-aligned broadcasting) as index maps over flat row-major data.</summary>
internal static class Shapes
{
    public static bool SameShape(int[] a, int[] b) => a.AsSpan().SequenceEqual(b);

    public static int Axis(int axis, int rank) => axis < 0 ? axis + rank : axis;

    public static int[] Broadcast(int[] a, int[] b)
    {
        int r = Math.Max(a.Length, b.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i < r - a.Length ? 1 : a[i - (r - a.Length)];
            int db = i < r - b.Length ? 1 : b[i - (r - b.Length)];
            if (da != db && da != 1 && db != 1) throw new ArgumentException($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] do not broadcast");
            s[i] = Math.Max(da, db);
        }
        return s;
    }

    /// <summary>For each element of <paramref name="to"/>, the flat index of the element of <paramref name="from"/> it reads.</summary>
    public static int[] BroadcastIndex(int[] from, int[] to)
    {
        int r = to.Length;
        if (from.Length > r) throw new ArgumentException("cannot broadcast to a lower rank");
        var strides = new int[r];
        int st = 1;
        for (int i = r - 1; i >= 0; i--)
        {
            int fi = i - (r - from.Length);
            int d = fi >= 0 ? from[fi] : 1;
            if (d != 1 && d != to[i]) throw new ArgumentException($"[{string.Join(",", from)}] does not broadcast to [{string.Join(",", to)}]");
            strides[i] = d == 1 ? 0 : st;
            st *= d;
        }
        long total = 1;
        foreach (var d in to) total *= d;
        var idx = new int[total];
        var pos = new int[r];
        int cur = 0;
        for (int k = 0; k < total; k++)
        {
            idx[k] = cur;
            for (int i = r - 1; i >= 0; i--)
            {
                pos[i]++;
                cur += strides[i];
                if (pos[i] < to[i]) break;
                cur -= strides[i] * pos[i];
                pos[i] = 0;
            }
        }
        return idx;
    }

    public static int[] SliceIndex(int[] shape, int axis, int start, int length)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        if (start < 0 || start + length > shape[axis]) throw new ArgumentOutOfRangeException(nameof(start));
        var idx = new int[outer * length * inner];
        int o = 0;
        for (int b = 0; b < outer; b++)
            for (int j = 0; j < length; j++)
                for (int k = 0; k < inner; k++)
                    idx[o++] = (b * shape[axis] + start + j) * inner + k;
        return idx;
    }
}
