using PrivateInference.Protocols.Communication;
using PrivateInference.Protocols.Core;

namespace PrivateInference.Protocols.Circuits;

/// <summary>
/// One level of a maximum tournament on 2-out-of-2 shares in three rounds, whatever the group size. P0 and P1 shuffle
/// each group's members with a permutation only they know and compare every pair of slots with the bitwise
/// comparison, unflipped, on distinct keys G·x + (G − 1 − original index) (G the largest group's size rounded up to
/// a power of two, so equal values still differ, the lower index ranking higher). The helper therefore learns the order of a uniformly shuffled set of distinct keys (a uniform random
/// order, independent of the data), finds the winning slot, and returns shares of its one-hot and of its mask:
/// P0 and P1 opened c_s = x_s + ρ_s per slot, so max = Σ_s onehot_s·c_s − ρ_winner is local.
/// Round 1 opens c; round 2 sends the per-bit vectors; round 3 returns the one-hots.
/// </summary>
internal sealed class PermutedTournament(Channel channel, PairwiseKeys keys) : HelperProtocol(channel, keys)
{
    private readonly BitwiseComparison _bits = new(channel, keys);

    /// <summary>Maxima of the groups of <paramref name="size"/> consecutive members (the last group of each row may be
    /// smaller) of every row of x [rows, len]; returns [rows, groups]. Keys G·x must differ by less than 2^k.
    /// With <paramref name="coarse"/> = L &gt; 0 the keys are G·x' + index for x' = ⌊c / 2^L⌋ − ⌊ρ / 2^L⌋, which is
    /// ⌊x / 2^L⌋ or one more (the carry out of the low bits of x + ρ): an exact comparison of coarser values, so the
    /// order the helper sees is still a total order of distinct keys on shuffled slots. The winner is then a member
    /// within 2^(L+1) of the group's maximum (x'_win ≥ x'_max, each x' within one of x / 2^L), for keys of k − L bits:
    /// a maximum that only needs to be close (softmax's shift) at about half the bytes. x' needs k + L &lt; 64.</summary>
    /// <param name="ring">The ring, in bits, that c opens in, the helper's one-hot and winner's mask are sent in, and
    /// the maxima are right in (<see cref="NarrowWords"/>):
    /// the keys' differences stay right modulo 2^(k + 1) while ring ≥ L + k + 1 − log2 G (G the key multiplier, a power
    /// of two), since c's bits above the ring only shift them by multiples of G·2^(ring − L).</param>
    public Share Level(Share x, int rows, int len, int size, int k, int coarse = 0, int ring = 64) =>
        Level(x, rows, len, size, k, arg: false, null, 0, out _, out _, coarse, ring);

    /// <summary>The key multiplier for groups of <paramref name="size"/>: the power of two at or above it, so that
    /// G·x + index keeps the keys distinct and G divides the ring.</summary>
    public static int Multiplier(int size) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size);

    /// <summary>The narrowest ring <see cref="Level"/> accepts for keys of k bits, L of them coarse, groups of
    /// <paramref name="size"/>.</summary>
    public static int MinRing(int k, int coarse, int size) => coarse + k + 1 - System.Numerics.BitOperations.Log2((uint)Multiplier(size));

    /// <summary>As <see cref="Level"/>, and the winners' one-hot [rows, len] in member order (ties to the lower index):
    /// the helper's returned slot one-hot, unshuffled locally by P0 and P1; a group of one is its own winner.
    /// With a <paramref name="payload"/> [rows, len, width] (secret values riding with each member), also the winners'
    /// payloads [rows, groups, width] in the same three rounds: P0 and P1 open payload + σ per slot beside c (σ from
    /// the helper's keys), the helper returns shares of the winner's σ, and the winner's payload is
    /// Σ_s onehot_s·(payload_s + σ_s) − σ_winner, local. A gather by the one-hot would take a product round after.</summary>
    /// <param name="ring">As <see cref="Level"/>'s: c, the winners' masks and the maxima in it; the one-hot stays
    /// right in the full ring (it is returned).</param>
    /// <param name="payloadRings">Per payload column, the ring its opening, its winners' masks and the winners are in
    /// (null: 64 for all): a payload its consumers read only modulo 2^w (softmax's scores) opens in w bits.</param>
    public Share LevelWithArg(Share x, int rows, int len, int size, int k, out Share oneHot, Share? payload, int width, out Share winners, int ring = 64,
        int[]? payloadRings = null) =>
        Level(x, rows, len, size, k, arg: true, payload, width, out oneHot, out winners, 0, ring, payloadRings);

    private Share Level(Share x, int rows, int len, int size, int k, bool arg, Share? payload, int width, out Share oneHot, out Share winners, int coarse,
        int ring, int[]? payloadRings = null)
    {
        if (coarse < 0 || coarse + k >= 64) throw new ArgumentOutOfRangeException(nameof(coarse), "coarse keys need k + L < 64");
        if (ring > 64 || ring < MinRing(k, coarse, size))
            throw new ArgumentOutOfRangeException(nameof(ring), $"keys of {k} bits ({coarse} coarse) need a ring of {MinRing(k, coarse, size)} bits at least, not {ring}");
        int d = payload is null ? 0 : width;
        var runs = PayloadRuns(payloadRings, d);
        int groups = (len + size - 1) / size;
        var sizes = Enumerable.Range(0, groups).Select(g => Math.Min(size, len - g * size)).ToArray();
        // Slots: the members of groups with at least two, row by row; pairs (a < b) of slots within a group.
        var slotStart = new int[groups];
        int slotsPerRow = 0, pairsPerRow = 0;
        for (int g = 0; g < groups; g++)
        {
            slotStart[g] = slotsPerRow;
            if (sizes[g] < 2) continue;
            slotsPerRow += sizes[g];
            pairsPerRow += sizes[g] * (sizes[g] - 1) / 2;
        }
        int slots = rows * slotsPerRow, pairs = rows * pairsPerRow;
        oneHot = None(rows * len);
        winners = None(rows * groups * d);
        if (IsHelper) { RunHelper(rows, groups, sizes, slotStart, slots, slotsPerRow, size, k, d, coarse, arg ? 64 : ring, ring, runs); return None(rows * groups); }
        if (!IsCompute) return None(rows * groups);

        // The members of each group in shuffled slot order (Fisher-Yates on the common draws).
        var member = new int[slots];
        var draws = new ulong[slots];
        using (var common = Common()) common.Fill(draws);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                if (sizes[g] < 2) continue;
                int s0 = r * slotsPerRow + slotStart[g];
                for (int u = 0; u < sizes[g]; u++) member[s0 + u] = u;
                for (int u = sizes[g] - 1; u > 0; u--)
                {
                    int j = (int)(draws[s0 + u] % (ulong)(u + 1));
                    (member[s0 + u], member[s0 + j]) = (member[s0 + j], member[s0 + u]);
                }
            }
        var rho = Draw(Helper, slots);
        var sigma = d > 0 ? Draw(Helper, slots * d) : [];
        var rBits = _bits.ReceiveBits(pairs, k);
        var mine = new ulong[slots * (1 + d)];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                if (sizes[g] < 2) continue;
                int s0 = r * slotsPerRow + slotStart[g];
                for (int u = 0; u < sizes[g]; u++)
                {
                    int m = r * len + g * size + member[s0 + u];
                    mine[s0 + u] = x.C[0][m] + rho[s0 + u];
                    for (int e = 0; e < d; e++) mine[slots + runs.At(slots, s0 + u, e)] = payload!.C[0][m * d + e] + sigma[(s0 + u) * d + e];
                }
            }
        (int, int)[] segments = [(slots, ring), .. runs.Segments(slots)];
        SendOpen(mine, segments);
        Ch.Round();
        var opened = ReceiveOpen(mine, segments);
        var c = d > 0 ? opened[..slots] : opened;
        var diff = new ulong[pairs];
        var beta = new bool[pairs];
        ulong offset = 1UL << k, mult = (ulong)Multiplier(size);
        int q = 0;
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                if (sizes[g] < 2) continue;
                int s0 = r * slotsPerRow + slotStart[g];
                for (int a = 0; a < sizes[g]; a++)
                    for (int b = a + 1; b < sizes[g]; b++, q++)
                    {
                        // key_a − key_b + 2^k, masked by size·(ρ_a − ρ_b) (coarse: by size·(⌊ρ_a / 2^L⌋ − ⌊ρ_b / 2^L⌋))
                        ulong v = mult * ((c[s0 + a] >> coarse) - (c[s0 + b] >> coarse)) + (ulong)(member[s0 + b] - member[s0 + a]) + offset;
                        diff[q] = v;
                        beta[q] = ((v >> k) & 1) == 0;
                    }
            }
        _bits.SendDigits(diff, rBits, k, beta);
        Ch.Round();

        ulong[] oh, rw, sw;
        if (Me == 0) { oh = Draw(Helper, slots); rw = Draw(Helper, rows * groups); sw = d > 0 ? Draw(Helper, rows * groups * d) : []; }
        else
        {
            // The one-hot and the winners' masks only enter the maxima, right modulo 2^ring (a returned one-hot, full);
            // the payload's masks only enter the winners, right in their columns' rings.
            int hotBits = arg ? 64 : ring;
            var lasts = LastSlots(rows, groups, sizes, slotStart, slotsPerRow);
            oh = PublicSubset.Unkept(ReceiveWords(Helper, PublicSubset.Count(lasts), hotBits), lasts); rw = ReceiveWords(Helper, rows * groups, ring);
            sw = d > 0 ? runs.Receive(rows * groups, (count, bits) => ReceiveWords(Helper, count, bits)) : [];
        }
        // Each group's last slot is 1 minus the others (not sent).
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                if (sizes[g] < 2) continue;
                int s0 = r * slotsPerRow + slotStart[g], last = s0 + sizes[g] - 1;
                ulong sum = 0;
                for (int u = s0; u < last; u++) sum += oh[u];
                oh[last] = (Me == 0 ? 1UL : 0) - sum;
            }
        Ch.Round();
        var max = new ulong[rows * groups];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                int o = r * groups + g;
                if (sizes[g] < 2) { max[o] = x.C[0][r * len + g * size]; continue; }
                int s0 = r * slotsPerRow + slotStart[g];
                ulong acc = 0 - rw[o];
                for (int u = 0; u < sizes[g]; u++) acc += oh[s0 + u] * c[s0 + u];
                max[o] = acc;
            }
        if (d > 0)
        {
            var won = new ulong[rows * groups * d];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < groups; g++)
                {
                    int o = r * groups + g;
                    if (sizes[g] < 2)
                    {
                        for (int e = 0; e < d; e++) won[o * d + e] = payload!.C[0][(r * len + g * size) * d + e];
                        continue;
                    }
                    int s0 = r * slotsPerRow + slotStart[g];
                    for (int e = 0; e < d; e++)
                    {
                        ulong acc = 0 - sw[o * d + e];
                        for (int u = 0; u < sizes[g]; u++) acc += oh[s0 + u] * opened[slots + runs.At(slots, s0 + u, e)];
                        won[o * d + e] = acc;
                    }
                }
            winners = One(won);
        }
        if (arg)
        {
            var hot = new ulong[rows * len];
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < groups; g++)
                {
                    int at = r * len + g * size;
                    if (sizes[g] < 2) { hot[at] = Me == 0 ? 1UL : 0; continue; }
                    int s0 = r * slotsPerRow + slotStart[g];
                    for (int u = 0; u < sizes[g]; u++) hot[at + member[s0 + u]] = oh[s0 + u];
                }
            oneHot = One(hot);
        }
        return One(max);
    }

    /// <summary>The last slot of every group of two or more, flagged: its one-hot share is 1 minus the others', so the
    /// helper does not send it (a third of its one-hot words for pairs; <see cref="PublicSubset"/>).</summary>
    private static bool[] LastSlots(int rows, int groups, int[] sizes, int[] slotStart, int slotsPerRow)
    {
        var last = new bool[rows * slotsPerRow];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
                if (sizes[g] >= 2) last[r * slotsPerRow + slotStart[g] + sizes[g] - 1] = true;
        return last;
    }

    private void RunHelper(int rows, int groups, int[] sizes, int[] slotStart, int slots, int slotsPerRow, int size, int k, int d, int coarse, int hotBits,
        int ring, PayloadLayout runs)
    {
        var rho = Draw(0, slots);
        var rho1 = Draw(1, slots);
        for (int s = 0; s < slots; s++) rho[s] += rho1[s];
        ulong[] sigma = [];
        if (d > 0)
        {
            sigma = Draw(0, slots * d);
            var sigma1 = Draw(1, slots * d);
            for (int i = 0; i < sigma.Length; i++) sigma[i] += sigma1[i];
        }
        var masks = new List<ulong>();
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                if (sizes[g] < 2) continue;
                int s0 = r * slotsPerRow + slotStart[g];
                for (int a = 0; a < sizes[g]; a++)
                    for (int b = a + 1; b < sizes[g]; b++) masks.Add((ulong)Multiplier(size) * ((rho[s0 + a] >> coarse) - (rho[s0 + b] >> coarse)));
            }
        var mask = masks.ToArray();
        _bits.DealBits(mask, k);
        Open([]);
        var z = _bits.ReceiveZeros(mask.Length, k);
        Ch.Round();
        var oh0 = Draw(0, slots);
        var rw0 = Draw(0, rows * groups);
        var sw0 = d > 0 ? Draw(0, rows * groups * d) : [];
        var oh1 = new ulong[slots];
        var rw1 = new ulong[rows * groups];
        var sw1 = new ulong[rows * groups * d];
        var beats = new bool[8 * 8];
        int q = 0;
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                int o = r * groups + g, sz = sizes[g];
                if (sz < 2)
                {
                    rw1[o] = 0 - rw0[o];
                    for (int e = 0; e < d; e++) sw1[o * d + e] = 0 - sw0[o * d + e];
                    continue;
                }
                int s0 = r * slotsPerRow + slotStart[g];
                if (beats.Length < sz * sz) beats = new bool[sz * sz];
                for (int a = 0; a < sz; a++)
                    for (int b = a + 1; b < sz; b++, q++)
                    {
                        // [key_a < key_b] = z ⊕ bit k of the mask (the comparison ran unflipped).
                        bool less = z[q] ^ (((mask[q] >> k) & 1) == 1);
                        beats[a * sz + b] = !less;
                        beats[b * sz + a] = less;
                    }
                int win = 0;
                for (int a = 0; a < sz; a++)
                {
                    bool all = true;
                    for (int b = 0; b < sz && all; b++) if (b != a && !beats[a * sz + b]) all = false;
                    if (all) { win = a; break; }
                }
                for (int u = 0; u < sz; u++) oh1[s0 + u] = (u == win ? 1UL : 0) - oh0[s0 + u];
                rw1[o] = rho[s0 + win] - rw0[o];
                for (int e = 0; e < d; e++) sw1[o * d + e] = sigma[(s0 + win) * d + e] - sw0[o * d + e];
            }
        SendWords(1, PublicSubset.Kept(oh1, LastSlots(rows, groups, sizes, slotStart, slotsPerRow)), hotBits);
        SendWords(1, rw1, ring);
        if (d > 0) runs.Send(sw1, rows * groups, (bits, words) => SendWords(1, words, bits));
        Ch.Round();
    }

    private static PayloadLayout PayloadRuns(int[]? rings, int d)
    {
        if (rings is not null && rings.Length != d) throw new ArgumentException($"{rings.Length} payload rings for {d} columns");
        var runs = new List<PayloadLayout.Run>();
        for (int e = 0; e < d;)
        {
            int bits = rings?[e] ?? 64, start = e;
            if (bits is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(rings), $"a payload ring of {bits} bits");
            while (e < d && (rings?[e] ?? 64) == bits) e++;
            runs.Add(new PayloadLayout.Run(start, e - start, bits));
        }
        return new PayloadLayout(d, [.. runs]);
    }

    /// <summary>A payload's columns as runs of equal rings, each opened (and its masks returned) as one segment of
    /// narrow words: run-major, slot by slot within a run.</summary>
    private sealed record PayloadLayout(int Width, PayloadLayout.Run[] Runs)
    {
        public sealed record Run(int Start, int Columns, int Bits);

        private readonly int[] _runOf = Enumerable.Range(0, Runs.Length).SelectMany(j => Enumerable.Repeat(j, Runs[j].Columns)).ToArray();

        /// <summary>The offset of column e of slot s among <paramref name="slots"/> slots' payloads.</summary>
        public int At(int slots, int s, int e)
        {
            var run = Runs[_runOf[e]];
            return slots * run.Start + s * run.Columns + (e - run.Start);
        }

        public IEnumerable<(int, int)> Segments(int slots) => Runs.Select(r => (slots * r.Columns, r.Bits));

        /// <summary>Sends words [items, Width] run by run, each in its run's ring.</summary>
        public void Send(ulong[] words, int items, Action<int, ulong[]> send)
        {
            foreach (var run in Runs)
            {
                var part = new ulong[items * run.Columns];
                for (int o = 0; o < items; o++)
                    for (int e = 0; e < run.Columns; e++) part[o * run.Columns + e] = words[o * Width + run.Start + e];
                send(run.Bits, part);
            }
        }

        /// <summary>The words of <see cref="Send"/>, [items, Width].</summary>
        public ulong[] Receive(int items, Func<int, int, ulong[]> receive)
        {
            var words = new ulong[items * Width];
            foreach (var run in Runs)
            {
                var part = receive(items * run.Columns, run.Bits);
                for (int o = 0; o < items; o++)
                    for (int e = 0; e < run.Columns; e++) words[o * Width + run.Start + e] = part[o * run.Columns + e];
            }
            return words;
        }
    }
}
