/* Plain C baseline for `pi bench plain`: the llama2.c run.c forward pass (scalar loops, -O3, optional OpenMP),
 * greedy decoding over N positions from BOS, timed the same way as the C# benchmark (warm-up pass, then N tokens).
 * Build and run: scripts/reference/bench-c.sh MODEL.bin TOKENS. Not part of the product; a yardstick only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { int dim, hidden, layers, heads, kv_heads, vocab, seq; } Config;
static Config p;
static float *emb, *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3, *rms_final, *wcls;
static float *x, *xb, *xb2, *hb, *hb2, *q, *k, *v, *att, *logits, *kc, *vc;

static void rmsnorm(float *o, const float *in, const float *w, int n) {
    float ss = 0; for (int j = 0; j < n; j++) ss += in[j] * in[j];
    ss = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int j = 0; j < n; j++) o[j] = w[j] * (ss * in[j]);
}
static void softmax(float *a, int n) {
    float m = a[0]; for (int i = 1; i < n; i++) if (a[i] > m) m = a[i];
    float s = 0; for (int i = 0; i < n; i++) { a[i] = expf(a[i] - m); s += a[i]; }
    for (int i = 0; i < n; i++) a[i] /= s;
}
static void matmul(float *out, const float *in, const float *w, int n, int d) {
    int i;
    #pragma omp parallel for private(i)
    for (i = 0; i < d; i++) { float val = 0; for (int j = 0; j < n; j++) val += w[i * n + j] * in[j]; out[i] = val; }
}
static void forward(int token, int pos) {
    int dim = p.dim, hs = dim / p.heads, kv_dim = hs * p.kv_heads, kv_mul = p.heads / p.kv_heads, hid = p.hidden;
    memcpy(x, emb + (long)token * dim, dim * sizeof(float));
    for (int l = 0; l < p.layers; l++) {
        rmsnorm(xb, x, rms_att + l * dim, dim);
        matmul(q, xb, wq + (long)l * dim * dim, dim, dim);
        matmul(k, xb, wk + (long)l * dim * kv_dim, dim, kv_dim);
        matmul(v, xb, wv + (long)l * dim * kv_dim, dim, kv_dim);
        for (int i = 0; i < dim; i += 2) {
            float freq = 1.0f / powf(10000.0f, (i % hs) / (float)hs), val = pos * freq, c = cosf(val), s = sinf(val);
            for (int r = 0; r < (i < kv_dim ? 2 : 1); r++) {
                float *vec = r == 0 ? q : k, v0 = vec[i], v1 = vec[i + 1];
                vec[i] = v0 * c - v1 * s; vec[i + 1] = v0 * s + v1 * c;
            }
        }
        long loff = (long)l * p.seq * kv_dim;
        memcpy(kc + loff + pos * kv_dim, k, kv_dim * sizeof(float));
        memcpy(vc + loff + pos * kv_dim, v, kv_dim * sizeof(float));
        int h;
        #pragma omp parallel for private(h)
        for (h = 0; h < p.heads; h++) {
            float *qh = q + h * hs, *a = att + h * p.seq, *o = xb + h * hs;
            for (int t = 0; t <= pos; t++) {
                float *kh = kc + loff + t * kv_dim + (h / kv_mul) * hs, sc = 0;
                for (int i = 0; i < hs; i++) sc += qh[i] * kh[i];
                a[t] = sc / sqrtf(hs);
            }
            softmax(a, pos + 1);
            memset(o, 0, hs * sizeof(float));
            for (int t = 0; t <= pos; t++) { float *vh = vc + loff + t * kv_dim + (h / kv_mul) * hs; for (int i = 0; i < hs; i++) o[i] += a[t] * vh[i]; }
        }
        matmul(xb2, xb, wo + (long)l * dim * dim, dim, dim);
        for (int i = 0; i < dim; i++) x[i] += xb2[i];
        rmsnorm(xb, x, rms_ffn + l * dim, dim);
        matmul(hb, xb, w1 + (long)l * dim * hid, dim, hid);
        matmul(hb2, xb, w3 + (long)l * dim * hid, dim, hid);
        for (int i = 0; i < hid; i++) hb[i] = hb[i] * (1.0f / (1.0f + expf(-hb[i]))) * hb2[i];
        matmul(xb, hb, w2 + (long)l * dim * hid, hid, dim);
        for (int i = 0; i < dim; i++) x[i] += xb[i];
    }
    rmsnorm(x, x, rms_final, dim);
    matmul(logits, x, wcls, dim, p.vocab);
}
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int run(int n) { int tok = 1; for (int pos = 0; pos < n; pos++) { forward(tok, pos); int best = 0; for (int i = 1; i < p.vocab; i++) if (logits[i] > logits[best]) best = i; tok = best; } return tok; }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s model.bin tokens\n", argv[0]); return 1; }
    FILE *f = fopen(argv[1], "rb"); if (!f) { perror(argv[1]); return 1; }
    if (fread(&p, sizeof(int), 7, f) != 7) return 1;
    int shared = p.vocab > 0; p.vocab = abs(p.vocab);
    fseek(f, 0, SEEK_END); long bytes = ftell(f); fseek(f, 28, SEEK_SET);
    float *all = malloc(bytes); if (fread(all, 1, bytes - 28, f) != (size_t)(bytes - 28)) return 1; fclose(f);
    int hs = p.dim / p.heads, kv_dim = hs * p.kv_heads; float *ptr = all;
    emb = ptr; ptr += (long)p.vocab * p.dim; rms_att = ptr; ptr += p.layers * p.dim;
    wq = ptr; ptr += (long)p.layers * p.dim * p.dim; wk = ptr; ptr += (long)p.layers * p.dim * kv_dim;
    wv = ptr; ptr += (long)p.layers * p.dim * kv_dim; wo = ptr; ptr += (long)p.layers * p.dim * p.dim;
    rms_ffn = ptr; ptr += p.layers * p.dim; w1 = ptr; ptr += (long)p.layers * p.dim * p.hidden;
    w2 = ptr; ptr += (long)p.layers * p.dim * p.hidden; w3 = ptr; ptr += (long)p.layers * p.dim * p.hidden;
    rms_final = ptr; ptr += p.dim; ptr += p.seq * hs; wcls = shared ? emb : ptr;
    x = calloc(p.dim, 4); xb = calloc(p.dim, 4); xb2 = calloc(p.dim, 4); hb = calloc(p.hidden, 4); hb2 = calloc(p.hidden, 4);
    q = calloc(p.dim, 4); k = calloc(kv_dim, 4); v = calloc(kv_dim, 4); att = calloc((long)p.heads * p.seq, 4); logits = calloc(p.vocab, 4);
    kc = calloc((long)p.layers * p.seq * kv_dim, 4); vc = calloc((long)p.layers * p.seq * kv_dim, 4);
    int n = atoi(argv[2]);
    run(n < 64 ? n : 64);
    double t0 = now(); int last = run(n); double dt = now() - t0;
    printf("plain C: %d tokens in %.3f s = %.1f tokens/s (last token %d)\n", n, dt, n / dt, last);
    return 0;
}
