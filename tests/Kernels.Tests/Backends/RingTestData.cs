namespace PrivateInference.Kernels.Tests.Backends;

/// <summary>Seeded random ring vectors and the textbook references the backends are checked against.</summary>
internal static class RingTestData
{
    public static ulong[] Random(System.Random rng, int n)
    {
        var r = new ulong[n];
        for (int i = 0; i < n; i++) r[i] = (ulong)rng.NextInt64() ^ ((ulong)rng.Next(4) << 62);
        return r;
    }

    /// <summary>C_b = A_b B_b (B shared when bShared), one element at a time.</summary>
    public static ulong[] NaiveMatMul(ulong[] a, ulong[] b, int batch, int m, int k, int n, bool bShared)
    {
        var c = new ulong[batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    ulong s = 0;
                    for (int p = 0; p < k; p++) s += a[t * m * k + i * k + p] * b[(bShared ? 0 : t * k * n) + p * n + j];
                    c[t * m * n + i * n + j] = s;
                }
        return c;
    }

    /// <summary>Shapes covering the row kernel (m below 16), partial 64 x 64 tiles, K not a multiple of 16, batches.</summary>
    public static TheoryData<int, int, int, int, bool> MatMulShapes() => new()
    {
        { 1, 1, 1, 1, false },
        { 1, 1, 33, 70, false },
        { 1, 5, 7, 9, false },
        { 1, 70, 37, 65, false },
        { 1, 64, 16, 64, false },
        { 3, 17, 20, 66, false },
        { 4, 5, 19, 21, true },
        { 2, 40, 16, 64, true },
        // Wide outputs: n over 1024 columns (17 column tiles on the GPU).
        { 1, 19, 9, 1100, false },
        // Over RingMatMul's threading threshold (2^18): split by columns (one row), and by rows.
        { 1, 1, 300, 1100, false },
        { 1, 33, 100, 100, false },
    };
}
