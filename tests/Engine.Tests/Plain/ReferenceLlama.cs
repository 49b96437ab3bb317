using PrivateInference.Engine.Models;

namespace PrivateInference.Engine.Tests.Plain;

/// <summary>
/// A deliberately naive float64 Llama written from the model card's description (scalar loops, RoPE from its
/// formula, GQA by head index), used only to check the real engine.
/// </summary>
internal sealed class ReferenceLlama(LlamaWeights w)
{
    private readonly LlamaConfig _c = w.Config;
    private readonly List<double[]>[] _keys = Enumerable.Range(0, w.Config.Layers).Select(_ => new List<double[]>()).ToArray();
    private readonly List<double[]>[] _values = Enumerable.Range(0, w.Config.Layers).Select(_ => new List<double[]>()).ToArray();

    public double[] Forward(int token, int pos)
    {
        int d = _c.Dim, hs = _c.HeadSize, kv = _c.KvDim, hid = _c.HiddenDim;
        var x = Enumerable.Range(0, d).Select(i => (double)w.TokenEmbedding[token * d + i]).ToArray();
        for (int l = 0; l < _c.Layers; l++)
        {
            var xn = Norm(x, w.RmsAtt, l * d);
            var q = MatVec(w.Wq, l * d * d, d, d, xn);
            var k = MatVec(w.Wk, l * kv * d, kv, d, xn);
            var v = MatVec(w.Wv, l * kv * d, kv, d, xn);
            Rotate(q, pos); Rotate(k, pos);
            _keys[l].Add(k); _values[l].Add(v);
            var o = new double[d];
            for (int h = 0; h < _c.Heads; h++)
            {
                int g = h / (_c.Heads / _c.KvHeads);
                var s = new double[pos + 1];
                for (int t = 0; t <= pos; t++)
                    for (int i = 0; i < hs; i++) s[t] += q[h * hs + i] * _keys[l][t][g * hs + i] / Math.Sqrt(hs);
                double max = s.Max(), sum = s.Sum(e => Math.Exp(e - max));
                for (int t = 0; t <= pos; t++)
                    for (int i = 0; i < hs; i++) o[h * hs + i] += Math.Exp(s[t] - max) / sum * _values[l][t][g * hs + i];
            }
            var att = MatVec(w.Wo, l * d * d, d, d, o);
            for (int i = 0; i < d; i++) x[i] += att[i];
            var xf = Norm(x, w.RmsFfn, l * d);
            var a = MatVec(w.W1, l * hid * d, hid, d, xf);
            var b = MatVec(w.W3, l * hid * d, hid, d, xf);
            var hgate = a.Select((ai, i) => ai / (1 + Math.Exp(-ai)) * b[i]).ToArray();
            var f = MatVec(w.W2, l * d * hid, d, hid, hgate);
            for (int i = 0; i < d; i++) x[i] += f[i];
        }
        return MatVec(w.Classifier, 0, _c.VocabSize, d, Norm(x, w.RmsFinal, 0));
    }

    private void Rotate(double[] v, int pos)
    {
        int hs = _c.HeadSize;
        for (int i = 0; i < v.Length; i += 2)
        {
            double angle = pos * Math.Pow(10000, -(double)(i % hs) / hs);
            double a = v[i], b = v[i + 1];
            v[i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            v[i + 1] = a * Math.Sin(angle) + b * Math.Cos(angle);
        }
    }

    private static double[] Norm(double[] x, float[] weight, int offset)
    {
        double rms = Math.Sqrt(x.Sum(v => v * v) / x.Length + 1e-5);
        return x.Select((v, i) => weight[offset + i] * v / rms).ToArray();
    }

    private static double[] MatVec(float[] m, int offset, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) y[r] += m[offset + r * cols + c] * x[c];
        return y;
    }
}
