/*
 * Native kernels for the tfjs wasm backend (see src/native-kernels.ts): the single-precision matrix multiply behind
 * BatchMatMul, and Sum (over a contiguous block of axes), Exp and Erf, the elementwise and reduction kernels that
 * dominate a training step after the matmul; and one fused AdamW step per parameter tensor.
 *
 * ## Matrix multiply
 *
 * The wasm backend keeps tensors in the WebAssembly heap; the kernel receives Float32Array views of that heap for
 * A, B and C and writes C in place, so no data is copied. It computes, for every batch index,
 *     C[M x N] = op(A)[M x K] * op(B)[K x N]      op = transpose or not, row-major storage
 * with the classic blocked layout (Goto / BLIS): pack a K-slice of B into NR-wide column strips and of A into MR-row
 * strips, then a register-blocked micro-kernel accumulates an MR x NR tile of C. The micro-kernel is written with GCC
 * vector extensions, so one source compiles to AVX-512, AVX2 or SSE code depending on `-march`.
 *
 * Work is split over POSIX threads (batches, else columns, else rows); every element of C is computed by one thread in
 * the same order, so results do not depend on the thread count.
 *
 * With BF16 precision (`setPrecision(1)`, only where the CPU has AVX-512 BF16), A and B are rounded to bfloat16 while
 * they are packed (round to nearest even) and the micro-kernel multiplies pairs of k with VDPBF16PS into float32
 * accumulators: twice the multiply-adds per instruction, at bfloat16's 8-bit mantissa for the inputs.
 *
 * ## Sum, Exp, Erf, GELU, LayerNorm
 * Plain loops the compiler vectorises, split over the same threads by output range; a sum is computed in the same
 * order whatever the thread count. GELU and LayerNorm (forward and gradient) are fused: one pass over the data where
 * tfjs runs a chain of elementwise ops and reductions, each its own dispatch and its own trip through memory.
 *
 * Built at install time by build.js; when no compiler is present the TypeScript side keeps the wasm kernels.
 */
#define NAPI_VERSION 8
#include <math.h>
#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef float v16 __attribute__((vector_size(64)));

#if defined(__AVX512BF16__)
#include <immintrin.h>
#define HAVE_BF16 1
#else
#define HAVE_BF16 0
#endif

#if defined(__AVX512F__)
#define MR 12
#define SIMD_NAME "avx512"
#elif defined(__AVX2__)
#define MR 4
#define SIMD_NAME "avx2"
#else
#define MR 4
#define SIMD_NAME "generic"
#endif
#define NR 32 /* two 16-float vectors */
#define KC 256
#define MC (MR * 12)
#define NC 512
#define MAX_THREADS 64

typedef struct {
  const float *a, *b;
  float *c;
  int64_t strideA, strideB; /* floats between batches (0 = broadcast) */
  int m, n, k, transA, transB;
} Problem;

typedef struct {
  const Problem *p;
  int b0, b1, m0, m1, n0, n1;
  float *packA, *packB;
} Task;

static int g_threads = 1;
static int g_bf16 = 0; /* 1: BF16 inputs, float32 accumulation (only when HAVE_BF16) */
static float *g_packA[MAX_THREADS], *g_packB[MAX_THREADS];

/* op(A)[i, kk] for the strip rows i0..i0+MR and k0..k0+kc, zero-padded past mEnd. Layout: ap[kk * MR + r]. */
static void pack_a(const Problem *p, const float *a, int i0, int mEnd, int k0, int kc, float *ap) {
  int lda = p->transA ? p->m : p->k;
  for (int r = 0; r < MR; r++) {
    int i = i0 + r;
    if (i >= mEnd) {
      for (int kk = 0; kk < kc; kk++) ap[kk * MR + r] = 0.0f;
    } else if (p->transA) {
      for (int kk = 0; kk < kc; kk++) ap[kk * MR + r] = a[(int64_t)(k0 + kk) * lda + i];
    } else {
      const float *row = a + (int64_t)i * lda + k0;
      for (int kk = 0; kk < kc; kk++) ap[kk * MR + r] = row[kk];
    }
  }
}

/* op(B)[kk, j] for k0..k0+kc and the strip columns j0..j0+NR, zero-padded past nEnd. Layout: bp[kk * NR + c]. */
static void pack_b(const Problem *p, const float *b, int j0, int nEnd, int k0, int kc, float *bp) {
  int ldb = p->transB ? p->k : p->n;
  int cols = nEnd - j0 < NR ? nEnd - j0 : NR;
  if (!p->transB) {
    for (int kk = 0; kk < kc; kk++) {
      const float *row = b + (int64_t)(k0 + kk) * ldb + j0;
      float *dst = bp + kk * NR;
      int c = 0;
      for (; c < cols; c++) dst[c] = row[c];
      for (; c < NR; c++) dst[c] = 0.0f;
    }
  } else {
    for (int c = 0; c < NR; c++) {
      if (c >= cols) {
        for (int kk = 0; kk < kc; kk++) bp[kk * NR + c] = 0.0f;
        continue;
      }
      const float *col = b + (int64_t)(j0 + c) * ldb + k0;
      for (int kk = 0; kk < kc; kk++) bp[kk * NR + c] = col[kk];
    }
  }
}

/* C[rows x cols] += Ap(MR x kc) * Bp(kc x NR), only the valid rows/cols written. */
static void micro_kernel(int kc, const float *ap, const float *bp, float *c, int ldc, int rows, int cols) {
  v16 acc0[MR], acc1[MR];
  for (int r = 0; r < MR; r++) {
    acc0[r] = (v16){0};
    acc1[r] = (v16){0};
  }
  for (int kk = 0; kk < kc; kk++) {
    const v16 b0 = *(const v16 *)(bp + kk * NR);
    const v16 b1 = *(const v16 *)(bp + kk * NR + 16);
    const float *a = ap + kk * MR;
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const float s = a[r];
      acc0[r] += s * b0;
      acc1[r] += s * b1;
    }
  }
  float tile[NR] __attribute__((aligned(64)));
  for (int r = 0; r < rows; r++) {
    *(v16 *)tile = acc0[r];
    *(v16 *)(tile + 16) = acc1[r];
    float *dst = c + (int64_t)r * ldc;
    for (int j = 0; j < cols; j++) dst[j] += tile[j];
  }
}

#if HAVE_BF16
/* float32 → bfloat16, rounded to nearest even (inputs here are finite) */
static inline uint16_t to_bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

static inline uint32_t bf16_pair(float lo, float hi) {
  return (uint32_t)to_bf16(lo) | ((uint32_t)to_bf16(hi) << 16);
}

/* BF16 strips hold pairs of k side by side: dst[kp * W + s] = (X[s, k0 + 2kp], X[s, k0 + 2kp + 1]) for strip index s
 * (a row of A, a column of B) below `valid`; a k past kc (odd kc) and an s past `valid` are zero. Two source layouts:
 * k contiguous for each s (`along_k`: x[s * ld + k]) or s contiguous for each k (`along_s`: x[k * ld + s]). */
static void pack_pairs_along_k(uint32_t *dst, int W, int valid, const float *x, int64_t ld, int kc) {
  int pairs = kc / 2;
  for (int s = 0; s < W; s++) {
    const float *row = x + (int64_t)s * ld;
    if (s >= valid) {
      for (int kp = 0; kp < (kc + 1) / 2; kp++) dst[kp * W + s] = 0;
      continue;
    }
    for (int kp = 0; kp < pairs; kp++) dst[kp * W + s] = bf16_pair(row[2 * kp], row[2 * kp + 1]);
    if (kc & 1) dst[pairs * W + s] = bf16_pair(row[kc - 1], 0.0f);
  }
}

static void pack_pairs_along_s(uint32_t *dst, int W, int valid, const float *x, int64_t ld, int kc) {
  for (int kp = 0; kp < (kc + 1) / 2; kp++) {
    const float *lo = x + (int64_t)(2 * kp) * ld;
    const float *hi = 2 * kp + 1 < kc ? lo + ld : NULL;
    uint32_t *d = dst + kp * W;
    int s = 0;
    if (hi)
      for (; s < valid; s++) d[s] = bf16_pair(lo[s], hi[s]);
    else
      for (; s < valid; s++) d[s] = bf16_pair(lo[s], 0.0f);
    for (; s < W; s++) d[s] = 0;
  }
}

static void pack_a_bf16(const Problem *p, const float *a, int i0, int mEnd, int k0, int kc, uint32_t *ap) {
  int valid = mEnd - i0 < MR ? mEnd - i0 : MR;
  if (p->transA) pack_pairs_along_s(ap, MR, valid, a + (int64_t)k0 * p->m + i0, p->m, kc);
  else pack_pairs_along_k(ap, MR, valid, a + (int64_t)i0 * p->k + k0, p->k, kc);
}

static void pack_b_bf16(const Problem *p, const float *b, int j0, int nEnd, int k0, int kc, uint32_t *bp) {
  int valid = nEnd - j0 < NR ? nEnd - j0 : NR;
  if (p->transB) pack_pairs_along_k(bp, NR, valid, b + (int64_t)j0 * p->k + k0, p->k, kc);
  else pack_pairs_along_s(bp, NR, valid, b + (int64_t)k0 * p->n + j0, p->n, kc);
}

static void micro_kernel_bf16(int kc, const uint32_t *ap, const uint32_t *bp, float *c, int ldc, int rows, int cols) {
  __m512 acc0[MR], acc1[MR];
  for (int r = 0; r < MR; r++) {
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  for (int kp = 0; kp < (kc + 1) / 2; kp++) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(bp + kp * NR);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(bp + kp * NR + 16);
    const uint32_t *a = ap + kp * MR;
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      const __m512bh s = (__m512bh)_mm512_set1_epi32((int)a[r]);
      acc0[r] = _mm512_dpbf16_ps(acc0[r], s, b0);
      acc1[r] = _mm512_dpbf16_ps(acc1[r], s, b1);
    }
  }
  float tile[NR] __attribute__((aligned(64)));
  for (int r = 0; r < rows; r++) {
    _mm512_store_ps(tile, acc0[r]);
    _mm512_store_ps(tile + 16, acc1[r]);
    float *dst = c + (int64_t)r * ldc;
    for (int j = 0; j < cols; j++) dst[j] += tile[j];
  }
}
#endif

#if HAVE_BF16
#define PACK_A_BF16(p, a, i0, mEnd, k0, kc, dst) pack_a_bf16(p, a, i0, mEnd, k0, kc, (uint32_t *)(dst))
#define PACK_B_BF16(p, b, j0, nEnd, k0, kc, dst) pack_b_bf16(p, b, j0, nEnd, k0, kc, (uint32_t *)(dst))
#define MICRO_BF16(kc, ap, bp, c, ldc, rows, cols) micro_kernel_bf16(kc, (const uint32_t *)(ap), (const uint32_t *)(bp), c, ldc, rows, cols)
#else
#define PACK_A_BF16(...) ((void)0)
#define PACK_B_BF16(...) ((void)0)
#define MICRO_BF16(...) ((void)0)
#endif

static void run_task(const Task *t) {
  const Problem *p = t->p;
  const int bf16 = HAVE_BF16 && g_bf16;
  for (int bi = t->b0; bi < t->b1; bi++) {
    const float *a = p->a + bi * p->strideA;
    const float *b = p->b + bi * p->strideB;
    float *c = p->c + (int64_t)bi * p->m * p->n;
    for (int i = t->m0; i < t->m1; i++) memset(c + (int64_t)i * p->n + t->n0, 0, sizeof(float) * (t->n1 - t->n0));
    for (int jc = t->n0; jc < t->n1; jc += NC) {
      int nEnd = jc + NC < t->n1 ? jc + NC : t->n1;
      for (int pc = 0; pc < p->k; pc += KC) {
        int kc = p->k - pc < KC ? p->k - pc : KC;
        int strips = 0;
        /* a BF16 strip holds kc/2 pairs in the room of kc floats, so the same buffers and strides serve both */
        for (int j0 = jc; j0 < nEnd; j0 += NR) {
          float *dst = t->packB + (int64_t)(strips++) * KC * NR;
          if (bf16) PACK_B_BF16(p, b, j0, nEnd, pc, kc, dst);
          else pack_b(p, b, j0, nEnd, pc, kc, dst);
        }
        for (int ic = t->m0; ic < t->m1; ic += MC) {
          int mEnd = ic + MC < t->m1 ? ic + MC : t->m1;
          int rowsStrips = 0;
          for (int i0 = ic; i0 < mEnd; i0 += MR) {
            float *dst = t->packA + (int64_t)(rowsStrips++) * KC * MR;
            if (bf16) PACK_A_BF16(p, a, i0, mEnd, pc, kc, dst);
            else pack_a(p, a, i0, mEnd, pc, kc, dst);
          }
          for (int s = 0; s < strips; s++) {
            int j0 = jc + s * NR;
            int cols = nEnd - j0 < NR ? nEnd - j0 : NR;
            for (int r = 0; r < rowsStrips; r++) {
              int i0 = ic + r * MR;
              int rows = mEnd - i0 < MR ? mEnd - i0 : MR;
              const float *ap = t->packA + (int64_t)r * KC * MR, *bp = t->packB + (int64_t)s * KC * NR;
              float *cp = c + (int64_t)i0 * p->n + j0;
              if (bf16) MICRO_BF16(kc, ap, bp, cp, p->n, rows, cols);
              else micro_kernel(kc, ap, bp, cp, p->n, rows, cols);
            }
          }
        }
      }
    }
  }
}

static void *thread_main(void *arg) {
  run_task((const Task *)arg);
  return NULL;
}

static int ensure_buffers(int slot) {
  if (g_packA[slot]) return 1;
  g_packA[slot] = aligned_alloc(64, sizeof(float) * MC * KC);
  g_packB[slot] = aligned_alloc(64, sizeof(float) * (NC + NR) * KC);
  return g_packA[slot] && g_packB[slot];
}

/* Splits [0, total) into `parts` ranges aligned to `align`; returns the range of part `i`. */
static void split(int total, int parts, int i, int align, int *lo, int *hi) {
  int units = (total + align - 1) / align;
  int per = units / parts, extra = units % parts;
  int u0 = i * per + (i < extra ? i : extra);
  int u1 = u0 + per + (i < extra ? 1 : 0);
  *lo = u0 * align < total ? u0 * align : total;
  *hi = u1 * align < total ? u1 * align : total;
}

/* Runs fn(ctx, lo, hi) over [0, total) split into `threads` ranges aligned to `align`, on this thread and helpers. */
typedef void (*RangeFn)(const void *ctx, int64_t lo, int64_t hi);
typedef struct {
  RangeFn fn;
  const void *ctx;
  int64_t lo, hi;
} RangeTask;

static void *range_main(void *arg) {
  RangeTask *t = (RangeTask *)arg;
  t->fn(t->ctx, t->lo, t->hi);
  return NULL;
}

static void parallel_for(int64_t total, int64_t minPerThread, RangeFn fn, const void *ctx) {
  int threads = g_threads;
  if (total / minPerThread < threads) threads = (int)(total / minPerThread);
  if (threads < 2) {
    fn(ctx, 0, total);
    return;
  }
  RangeTask tasks[MAX_THREADS];
  pthread_t ids[MAX_THREADS];
  int started[MAX_THREADS] = {0};
  for (int t = 0; t < threads; t++) {
    tasks[t].fn = fn;
    tasks[t].ctx = ctx;
    tasks[t].lo = total * t / threads;
    tasks[t].hi = total * (t + 1) / threads;
  }
  for (int t = 1; t < threads; t++) started[t] = pthread_create(&ids[t], NULL, range_main, &tasks[t]) == 0;
  range_main(&tasks[0]);
  for (int t = 1; t < threads; t++) {
    if (started[t]) pthread_join(ids[t], NULL);
    else range_main(&tasks[t]);
  }
}

/* out[o, i] = sum over r of x[o, r, i]; the range is over output elements o * inner + i. */
typedef struct {
  const float *x;
  float *out;
  int64_t outer, red, inner;
} SumCtx;

static void sum_range(const void *arg, int64_t lo, int64_t hi) {
  const SumCtx *c = (const SumCtx *)arg;
  if (c->inner == 1) {
    /* 16 running partial sums per row (one vector), then added together */
    for (int64_t o = lo; o < hi; o++) {
      const float *row = c->x + o * c->red;
      v16 acc = {0};
      int64_t r = 0;
      for (; r + 16 <= c->red; r += 16) {
        v16 chunk;
        memcpy(&chunk, row + r, sizeof chunk);
        acc += chunk;
      }
      float s = 0.0f;
      for (int j = 0; j < 16; j++) s += acc[j];
      for (; r < c->red; r++) s += row[r];
      c->out[o] = s;
    }
    return;
  }
  /* Rows of `inner` values accumulated in order of r: contiguous, vectorised over i. */
  int64_t e = lo;
  while (e < hi) {
    int64_t o = e / c->inner, i0 = e % c->inner;
    int64_t i1 = (o + 1) * c->inner < hi ? c->inner : hi - o * c->inner;
    float *restrict dst = c->out + o * c->inner;
    const float *restrict src = c->x + o * c->red * c->inner;
    for (int64_t i = i0; i < i1; i++) dst[i] = 0.0f;
    for (int64_t r = 0; r < c->red; r++) {
      const float *restrict row = src + r * c->inner;
      for (int64_t i = i0; i < i1; i++) dst[i] += row[i];
    }
    e = o * c->inner + i1;
  }
}

typedef struct {
  const float *x;
  float *out;
  int op; /* 0 exp, 1 erf */
} UnaryCtx;

static void unary_range(const void *arg, int64_t lo, int64_t hi) {
  const UnaryCtx *c = (const UnaryCtx *)arg;
  if (c->op == 0)
    for (int64_t i = lo; i < hi; i++) c->out[i] = expf(c->x[i]);
  else
    for (int64_t i = lo; i < hi; i++) c->out[i] = erff(c->x[i]);
}

/* One AdamW step over a parameter tensor (see src/optimizer.ts for the same update written in tfjs ops). */
typedef struct {
  const float *p, *g, *m, *v;
  float *pOut, *mOut, *vOut;
  float lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale;
} AdamCtx;

static void adamw_range(const void *arg, int64_t lo, int64_t hi) {
  const AdamCtx *c = (const AdamCtx *)arg;
  for (int64_t i = lo; i < hi; i++) {
    float g = c->g[i] * c->gradScale;
    float m = c->m[i] * c->beta1 + g * (1.0f - c->beta1);
    float v = c->v[i] * c->beta2 + g * g * (1.0f - c->beta2);
    float update = (m / c->bc1) / (sqrtf(v / c->bc2) + c->eps) + c->p[i] * c->weightDecay;
    c->mOut[i] = m;
    c->vOut[i] = v;
    c->pOut[i] = c->p[i] - update * c->lr;
  }
}

/* exp and erf on 16 floats at a time, in plain vector arithmetic the compiler keeps in SIMD registers (libm's expf and
 * erff are scalar calls). exp: 2^n · e^r with n = round(x / ln 2), |r| ≤ ln2 / 2, e^r by a degree-6 Taylor polynomial
 * (relative error below 2e-7); erf: 1 − t · exp(−x² + P(t)), t = 1 / (1 + |x| / 2) (Numerical Recipes' erfc, relative
 * error below 1.2e-7), with the sign of x. */
typedef int32_t vi16 __attribute__((vector_size(64)));

/* lanes of a where mask is set, else of b (mask: a vector comparison's all-ones / all-zeros lanes) */
static inline v16 select_v16(vi16 mask, v16 a, v16 b) {
  vi16 ia, ib;
  memcpy(&ia, &a, sizeof ia);
  memcpy(&ib, &b, sizeof ib);
  vi16 r = (mask & ia) | (~mask & ib);
  v16 out;
  memcpy(&out, &r, sizeof out);
  return out;
}

static inline v16 exp_v16(v16 x) {
  const v16 zero = {0};
  v16 c = select_v16(x > zero + 88.0f, zero + 88.0f, x);
  c = select_v16(c < zero - 87.0f, zero - 87.0f, c);
  /* n = round(c / ln 2), by adding and taking away 1.5 · 2^23 */
  v16 n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  v16 r = c - n * 0.693359375f - n * -2.12194440e-4f;
  v16 p = zero + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  vi16 bits = (__builtin_convertvector(n, vi16) + 127) << 23;
  v16 scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

static inline v16 erf_v16(v16 x) {
  const v16 zero = {0};
  vi16 ix;
  memcpy(&ix, &x, sizeof ix);
  vi16 sign = ix & (int32_t)0x80000000, iz = ix & 0x7fffffff;
  v16 z;
  memcpy(&z, &iz, sizeof z);
  v16 t = 1.0f / (1.0f + 0.5f * z);
  v16 poly = zero + 0.17087277f;
  poly = poly * t - 0.82215223f;
  poly = poly * t + 1.48851587f;
  poly = poly * t - 1.13520398f;
  poly = poly * t + 0.27886807f;
  poly = poly * t - 0.18628806f;
  poly = poly * t + 0.09678418f;
  poly = poly * t + 0.37409196f;
  poly = poly * t + 1.00002368f;
  poly = poly * t - 1.26551223f;
  v16 e = 1.0f - t * exp_v16(-z * z + poly);
  vi16 ie;
  memcpy(&ie, &e, sizeof ie);
  ie |= sign;
  memcpy(&e, &ie, sizeof e);
  return e;
}

/* GELU (exact erf form) and its gradient, elementwise: one pass each instead of tfjs's chain of ops. */
typedef struct {
  const float *x, *dy;
  float *out;
} GeluCtx;

static inline v16 load_v16(const float *p, int64_t n) {
  v16 v = {0};
  memcpy(&v, p, sizeof(float) * (size_t)n);
  return v;
}

static void gelu_range(const void *arg, int64_t lo, int64_t hi) {
  const GeluCtx *c = (const GeluCtx *)arg;
  for (int64_t i = lo; i < hi; i += 16) {
    int64_t n = hi - i < 16 ? hi - i : 16;
    v16 x = load_v16(c->x + i, n);
    v16 y = 0.5f * x * (1.0f + erf_v16(x * (float)M_SQRT1_2));
    memcpy(c->out + i, &y, sizeof(float) * (size_t)n);
  }
}

static void gelu_grad_range(const void *arg, int64_t lo, int64_t hi) {
  const GeluCtx *c = (const GeluCtx *)arg;
  for (int64_t i = lo; i < hi; i += 16) {
    int64_t n = hi - i < 16 ? hi - i : 16;
    v16 x = load_v16(c->x + i, n), dy = load_v16(c->dy + i, n);
    v16 cdf = 0.5f * (1.0f + erf_v16(x * (float)M_SQRT1_2));
    v16 pdf = exp_v16(-0.5f * x * x) * 0.39894228040143267794f; /* 1/sqrt(2 pi) */
    v16 dx = dy * (cdf + x * pdf);
    memcpy(c->out + i, &dx, sizeof(float) * (size_t)n);
  }
}

/* LayerNorm over the last axis of [rows, h]: y = (x - mean) * rstd * gamma + beta, saving mean and rstd per row. */
typedef struct {
  const float *x, *gamma, *beta, *mean, *rstd, *dy;
  float *y, *meanOut, *rstdOut, *dx, *partG, *partB;
  int64_t rows;
  int h;
  float eps;
} NormCtx;

/* Σ (x[j] - shift)^power for power 1 or 2, in 16 running partial sums (one vector), then added together */
static inline float row_sum(const float *x, int n, float shift, int power) {
  v16 acc = {0};
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    v16 d;
    memcpy(&d, x + j, sizeof d);
    d -= shift;
    acc += power == 2 ? d * d : d;
  }
  float s = 0.0f;
  for (int i = 0; i < 16; i++) s += acc[i];
  for (; j < n; j++) s += power == 2 ? (x[j] - shift) * (x[j] - shift) : x[j] - shift;
  return s;
}

static void layer_norm_range(const void *arg, int64_t lo, int64_t hi) {
  const NormCtx *c = (const NormCtx *)arg;
  for (int64_t r = lo; r < hi; r++) {
    const float *x = c->x + r * c->h;
    float *y = c->y + r * c->h;
    float mean = row_sum(x, c->h, 0.0f, 1) / c->h;
    float var = row_sum(x, c->h, mean, 2);
    float rstd = 1.0f / sqrtf(var / c->h + c->eps);
    for (int j = 0; j < c->h; j++) y[j] = (x[j] - mean) * rstd * c->gamma[j] + c->beta[j];
    c->meanOut[r] = mean;
    c->rstdOut[r] = rstd;
  }
}

/* The gradient, in chunks of NORM_CHUNK rows: dx per row; dgamma and dbeta as one partial sum per chunk, added in
 * chunk order afterwards, so the result does not depend on the thread count. */
#define NORM_CHUNK 64
static void layer_norm_grad_range(const void *arg, int64_t lo, int64_t hi) {
  const NormCtx *c = (const NormCtx *)arg;
  for (int64_t chunk = lo; chunk < hi; chunk++) {
    float *pg = c->partG + chunk * c->h, *pb = c->partB + chunk * c->h;
    for (int j = 0; j < c->h; j++) pg[j] = pb[j] = 0.0f;
    int64_t end = (chunk + 1) * NORM_CHUNK < c->rows ? (chunk + 1) * NORM_CHUNK : c->rows;
    for (int64_t r = chunk * NORM_CHUNK; r < end; r++) {
      const float *x = c->x + r * c->h, *dy = c->dy + r * c->h;
      float *dx = c->dx + r * c->h;
      float mean = c->mean[r], rstd = c->rstd[r], sumG = 0.0f, sumGX = 0.0f;
      for (int j = 0; j < c->h; j++) {
        float xhat = (x[j] - mean) * rstd, g = dy[j] * c->gamma[j];
        sumG += g;
        sumGX += g * xhat;
        pg[j] += dy[j] * xhat;
        pb[j] += dy[j];
      }
      float mG = sumG / c->h, mGX = sumGX / c->h;
      for (int j = 0; j < c->h; j++) dx[j] = rstd * (dy[j] * c->gamma[j] - mG - (x[j] - mean) * rstd * mGX);
    }
  }
}

/* Dropout masks from a counter-based hash (dropout.ts computes the same values in JS): element i keeps when the top
 * 24 bits of mix(mix(i) ^ key) reach `threshold` (rate · 2^24), and is then `scale` (1 / (1 − rate)), else 0. */
typedef struct {
  float *out;
  uint32_t key, threshold;
  float scale;
} DropoutCtx;

typedef uint32_t vu16 __attribute__((vector_size(64)));

static inline vu16 mix32_v16(vu16 x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

static void dropout_range(const void *arg, int64_t lo, int64_t hi) {
  const DropoutCtx *c = (const DropoutCtx *)arg;
  const vu16 lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  const v16 scale = (v16){0} + c->scale;
  for (int64_t i = lo; i < hi; i += 16) {
    const vu16 h = mix32_v16(mix32_v16(lane + (uint32_t)i) ^ c->key) >> 8;
    const v16 m = (v16)((vi16)scale & (vi16)(h >= c->threshold));
    /* the heap view need not be 64-byte aligned; the last block may be partial */
    memcpy(c->out + i, &m, sizeof(float) * (size_t)(hi - i < 16 ? hi - i : 16));
  }
}

/* Many small products (attention: [batch × heads] of 32 × 26 · 26 × 32): the blocked path's packing costs more than
 * the arithmetic there, so each product is computed directly. op(B) is first laid out as [k][32] (zero-padded), so a
 * row of C is two 16-float vectors held in registers; four rows of A share each load of B. Each batch index is one
 * thread's, in a fixed order. Always float32. */
#define SMALL_DIM 64
#define SMALL_N 32
static void small_rows(const Problem *p, const float *a, const float *bk, float *c, int i0, int rows) {
  v16 c0[4], c1[4];
  for (int r = 0; r < 4; r++) c0[r] = c1[r] = (v16){0};
  for (int kk = 0; kk < p->k; kk++) {
    const v16 b0 = *(const v16 *)(bk + kk * SMALL_N);
    const v16 b1 = *(const v16 *)(bk + kk * SMALL_N + 16);
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++) {
      const int i = i0 + (r < rows ? r : 0);
      const float av = p->transA ? a[(int64_t)kk * p->m + i] : a[(int64_t)i * p->k + kk];
      c0[r] += av * b0;
      c1[r] += av * b1;
    }
  }
  float tile[SMALL_N] __attribute__((aligned(64)));
  for (int r = 0; r < rows; r++) {
    *(v16 *)tile = c0[r];
    *(v16 *)(tile + 16) = c1[r];
    float *dst = c + (int64_t)(i0 + r) * p->n;
    for (int j = 0; j < p->n; j++) dst[j] = tile[j];
  }
}

static void small_range(const void *arg, int64_t lo, int64_t hi) {
  const Problem *p = (const Problem *)arg;
  float bt[SMALL_DIM * SMALL_N] __attribute__((aligned(64)));
  for (int64_t bi = lo; bi < hi; bi++) {
    const float *a = p->a + bi * p->strideA, *b = p->b + bi * p->strideB;
    float *c = p->c + bi * p->m * p->n;
    for (int kk = 0; kk < p->k; kk++) {
      float *row = bt + kk * SMALL_N;
      for (int j = 0; j < p->n; j++) row[j] = p->transB ? b[(int64_t)j * p->k + kk] : b[(int64_t)kk * p->n + j];
      for (int j = p->n; j < SMALL_N; j++) row[j] = 0.0f;
    }
    for (int i = 0; i < p->m; i += 4) small_rows(p, a, bt, c, i, p->m - i < 4 ? p->m - i : 4);
  }
}

static int gemm(const Problem *p, int batch) {
  if (batch >= 8 && p->m <= SMALL_DIM && p->n <= SMALL_N && p->k <= SMALL_DIM) {
    parallel_for(batch, 8, small_range, p);
    return 1;
  }
  double flops = 2.0 * p->m * p->n * (double)p->k * batch;
  int threads = g_threads;
  if (flops < 4e6) threads = 1;
  Task tasks[MAX_THREADS];
  int used = 0;
  for (int t = 0; t < threads; t++) {
    Task task = {p, 0, batch, 0, p->m, 0, p->n, NULL, NULL};
    if (batch >= threads) split(batch, threads, t, 1, &task.b0, &task.b1);
    else if (p->n >= p->m) split(p->n, threads, t, NR, &task.n0, &task.n1);
    else split(p->m, threads, t, MR, &task.m0, &task.m1);
    if (task.b0 >= task.b1 || task.m0 >= task.m1 || task.n0 >= task.n1) continue;
    if (!ensure_buffers(used)) return 0;
    task.packA = g_packA[used];
    task.packB = g_packB[used];
    tasks[used++] = task;
  }
  pthread_t ids[MAX_THREADS];
  int started[MAX_THREADS] = {0};
  for (int t = 1; t < used; t++) started[t] = pthread_create(&ids[t], NULL, thread_main, &tasks[t]) == 0;
  if (used > 0) run_task(&tasks[0]);
  for (int t = 1; t < used; t++) {
    if (started[t]) pthread_join(ids[t], NULL);
    else run_task(&tasks[t]); /* could not start a thread: do its share here */
  }
  return 1;
}

/* ---- N-API glue ---------------------------------------------------------------------------------------------- */

#define CHECK(call)                                                                 \
  do {                                                                              \
    if ((call) != napi_ok) {                                                        \
      napi_throw_error(env, NULL, "distill_kernels: N-API call failed: " #call);       \
      return NULL;                                                                  \
    }                                                                               \
  } while (0)

static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)data, &buffer, &offset) != napi_ok) return 0;
  return type == napi_float32_array;
}

static int get_int(napi_env env, napi_value v, int *out) {
  int32_t x;
  if (napi_get_value_int32(env, v, &x) != napi_ok) return 0;
  *out = x;
  return 1;
}

/* the first `count` arguments as Float32Arrays (all of them, or 0) */
static int get_f32s(napi_env env, const napi_value *argv, int count, float **a, size_t *len) {
  for (int i = 0; i < count; i++)
    if (!get_f32(env, argv[i], &a[i], &len[i])) return 0;
  return 1;
}

/* gemm(a, b, c, batchA, batchB, m, n, k, transA, transB) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 10) {
    napi_throw_type_error(env, NULL, "gemm(a, b, c, batchA, batchB, m, n, k, transA, transB) takes 10 arguments");
    return NULL;
  }
  float *a, *b, *c;
  size_t la, lb, lc;
  int batchA, batchB, m, n, k, transA, transB;
  if (!get_f32(env, argv[0], &a, &la) || !get_f32(env, argv[1], &b, &lb) || !get_f32(env, argv[2], &c, &lc)) {
    napi_throw_type_error(env, NULL, "gemm: a, b and c must be Float32Arrays");
    return NULL;
  }
  if (!get_int(env, argv[3], &batchA) || !get_int(env, argv[4], &batchB) || !get_int(env, argv[5], &m) ||
      !get_int(env, argv[6], &n) || !get_int(env, argv[7], &k) || !get_int(env, argv[8], &transA) ||
      !get_int(env, argv[9], &transB)) {
    napi_throw_type_error(env, NULL, "gemm: sizes and flags must be integers");
    return NULL;
  }
  int batch = batchA > batchB ? batchA : batchB;
  if (m < 0 || n < 0 || k < 0 || batchA < 1 || batchB < 1 || (batchA != batchB && batchA != 1 && batchB != 1) ||
      la < (size_t)batchA * m * k || lb < (size_t)batchB * k * n || lc < (size_t)batch * m * n) {
    napi_throw_range_error(env, NULL, "gemm: array lengths do not match the sizes");
    return NULL;
  }
  Problem p = {a, b, c, batchA == 1 ? 0 : (int64_t)m * k, batchB == 1 ? 0 : (int64_t)k * n, m, n, k, transA, transB};
  if (k == 0) {
    memset(c, 0, sizeof(float) * (size_t)batch * m * n);
    return NULL;
  }
  if (!gemm(&p, batch)) {
    napi_throw_error(env, NULL, "gemm: out of memory for packing buffers");
    return NULL;
  }
  return NULL;
}

/* sum(x, out, outer, red, inner) */
static napi_value js_sum(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x, *out;
  size_t lx, lo;
  int outer, red, inner;
  if (argc != 5 || !get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &out, &lo) || !get_int(env, argv[2], &outer) ||
      !get_int(env, argv[3], &red) || !get_int(env, argv[4], &inner) || outer < 0 || red < 0 || inner < 0 ||
      lx < (size_t)outer * red * inner || lo < (size_t)outer * inner) {
    napi_throw_type_error(env, NULL, "sum(x: Float32Array, out: Float32Array, outer, red, inner): bad arguments");
    return NULL;
  }
  SumCtx c = {x, out, outer, red, inner};
  int64_t total = (int64_t)outer * inner;
  /* ~64k input values per thread at least, else threads cost more than they save */
  int64_t perOut = red > 0 ? red : 1;
  parallel_for(total, 65536 / perOut + 1, sum_range, &c);
  return NULL;
}

static napi_value unary(napi_env env, napi_callback_info info, int op) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x, *out;
  size_t lx, lo;
  if (argc != 2 || !get_f32(env, argv[0], &x, &lx) || !get_f32(env, argv[1], &out, &lo) || lo < lx) {
    napi_throw_type_error(env, NULL, "exp/erf(x: Float32Array, out: Float32Array): bad arguments");
    return NULL;
  }
  UnaryCtx c = {x, out, op};
  parallel_for((int64_t)lx, 65536, unary_range, &c);
  return NULL;
}

static napi_value js_exp(napi_env env, napi_callback_info info) { return unary(env, info, 0); }
static napi_value js_erf(napi_env env, napi_callback_info info) { return unary(env, info, 1); }

/* adamw(p, g, m, v, pOut, mOut, vOut, [lr, beta1, beta2, eps, weightDecay, bc1, bc2, gradScale]) */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *arr[7];
  size_t len[7];
  int ok = argc == 8;
  for (int i = 0; ok && i < 7; i++) ok = get_f32(env, argv[i], &arr[i], &len[i]) && len[i] == len[0];
  float h[8];
  float *hp;
  size_t hl;
  ok = ok && get_f32(env, argv[7], &hp, &hl) && hl == 8;
  if (!ok) {
    napi_throw_type_error(env, NULL, "adamw(p, g, m, v, pOut, mOut, vOut: Float32Array of one length, hyper: Float32Array(8)): bad arguments");
    return NULL;
  }
  memcpy(h, hp, sizeof h);
  AdamCtx c = {arr[0], arr[1], arr[2], arr[3], arr[4], arr[5], arr[6], h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]};
  parallel_for((int64_t)len[0], 65536, adamw_range, &c);
  return NULL;
}

/* gelu(x, out) and geluGrad(x, dy, dx) */
static napi_value js_gelu(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *a[3] = {NULL, NULL, NULL};
  size_t len[3] = {0, 0, 0};
  int grad = argc == 3, ok = (argc == 2 || argc == 3) && get_f32s(env, argv, (int)argc, a, len) && len[1] == len[0] && (!grad || len[2] == len[0]);
  if (!ok) {
    napi_throw_type_error(env, NULL, "gelu(x, out) / gelu(x, dy, dx): Float32Arrays of one length");
    return NULL;
  }
  GeluCtx c = {a[0], grad ? a[1] : NULL, grad ? a[2] : a[1]};
  parallel_for((int64_t)len[0], 32768, grad ? gelu_grad_range : gelu_range, &c);
  return NULL;
}

/* dropoutMask(out, key, threshold, scale) */
static napi_value js_dropout_mask(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *out = NULL;
  size_t len = 0;
  uint32_t key = 0, threshold = 0;
  double scale = 0;
  if (argc != 4 || !get_f32(env, argv[0], &out, &len) || napi_get_value_uint32(env, argv[1], &key) != napi_ok || napi_get_value_uint32(env, argv[2], &threshold) != napi_ok || napi_get_value_double(env, argv[3], &scale) != napi_ok) {
    napi_throw_type_error(env, NULL, "dropoutMask(out: Float32Array, key: uint32, threshold: uint32, scale: number)");
    return NULL;
  }
  DropoutCtx c = {out, key, threshold, (float)scale};
  parallel_for((int64_t)len, 65536, dropout_range, &c);
  return NULL;
}

/* layerNorm(x, gamma, beta, y, mean, rstd, h, eps) */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *a[6];
  size_t len[6];
  int h;
  double eps;
  int ok = argc == 8 && get_int(env, argv[6], &h) && h > 0 && napi_get_value_double(env, argv[7], &eps) == napi_ok && get_f32s(env, argv, 6, a, len);
  int64_t rows = ok ? (int64_t)(len[0] / h) : 0;
  ok = ok && len[0] == (size_t)rows * h && len[1] == (size_t)h && len[2] == (size_t)h && len[3] == len[0] && len[4] == (size_t)rows && len[5] == (size_t)rows;
  if (!ok) {
    napi_throw_type_error(env, NULL, "layerNorm(x, gamma, beta, y, mean, rstd: Float32Array, h, eps): bad arguments");
    return NULL;
  }
  NormCtx c = {a[0], a[1], a[2], NULL, NULL, NULL, a[3], a[4], a[5], NULL, NULL, NULL, rows, h, (float)eps};
  parallel_for(rows, 65536 / h + 1, layer_norm_range, &c);
  return NULL;
}

/* layerNormGrad(x, gamma, mean, rstd, dy, dx, dgamma, dbeta, h) */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *a[8];
  size_t len[8];
  int h;
  int ok = argc == 9 && get_int(env, argv[8], &h) && h > 0 && get_f32s(env, argv, 8, a, len);
  int64_t rows = ok ? (int64_t)(len[0] / h) : 0;
  ok = ok && len[0] == (size_t)rows * h && len[1] == (size_t)h && len[2] == (size_t)rows && len[3] == (size_t)rows && len[4] == len[0] && len[5] == len[0] && len[6] == (size_t)h && len[7] == (size_t)h;
  if (!ok) {
    napi_throw_type_error(env, NULL, "layerNormGrad(x, gamma, mean, rstd, dy, dx, dgamma, dbeta: Float32Array, h): bad arguments");
    return NULL;
  }
  int64_t chunks = (rows + NORM_CHUNK - 1) / NORM_CHUNK;
  float *parts = malloc(sizeof(float) * 2 * (size_t)(chunks > 0 ? chunks : 1) * h);
  if (!parts) {
    napi_throw_error(env, NULL, "layerNormGrad: out of memory");
    return NULL;
  }
  NormCtx c = {a[0], a[1], NULL, a[2], a[3], a[4], NULL, NULL, NULL, a[5], parts, parts + chunks * h, rows, h, 0.0f};
  parallel_for(chunks, 1, layer_norm_grad_range, &c);
  for (int j = 0; j < h; j++) a[6][j] = a[7][j] = 0.0f;
  for (int64_t k = 0; k < chunks; k++)
    for (int j = 0; j < h; j++) {
      a[6][j] += c.partG[k * h + j];
      a[7][j] += c.partB[k * h + j];
    }
  free(parts);
  return NULL;
}

/* gatherRows(x, indices: Int32Array, out, rowSize): out[i] = x[indices[i]] (rows of rowSize floats). Returns the first
 * index out of range, or -1. (The wasm backend's Gather copies element by element: ~40 ns a float.) */
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x, *out;
  int32_t *idx;
  size_t lx, lo, li;
  int rowSize;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  int ok = argc == 4 && get_f32(env, argv[0], &x, &lx) && get_f32(env, argv[2], &out, &lo) && get_int(env, argv[3], &rowSize) && rowSize > 0 &&
           napi_get_typedarray_info(env, argv[1], &type, &li, (void **)&idx, &buffer, &offset) == napi_ok && type == napi_int32_array &&
           lo >= li * (size_t)rowSize;
  if (!ok) {
    napi_throw_type_error(env, NULL, "gatherRows(x: Float32Array, indices: Int32Array, out: Float32Array, rowSize): bad arguments");
    return NULL;
  }
  int64_t rows = (int64_t)(lx / rowSize), bad = -1;
  for (size_t i = 0; i < li && bad < 0; i++)
    if (idx[i] < 0 || idx[i] >= rows) bad = (int64_t)i;
  if (bad < 0)
    for (size_t i = 0; i < li; i++) memcpy(out + i * rowSize, x + (int64_t)idx[i] * rowSize, sizeof(float) * (size_t)rowSize);
  CHECK(napi_create_int64(env, bad, &result));
  return result;
}

/* sumSquares(x): Σ x², float partial sums over blocks of 4096 values added up in double (gradient clipping's norm). */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x;
  size_t n;
  if (argc != 1 || !get_f32(env, argv[0], &x, &n)) {
    napi_throw_type_error(env, NULL, "sumSquares(x: Float32Array): bad arguments");
    return NULL;
  }
  double total = 0.0;
  for (size_t start = 0; start < n; start += 4096) {
    size_t end = start + 4096 < n ? start + 4096 : n;
    v16 acc = {0};
    size_t i = start;
    for (; i + 16 <= end; i += 16) {
      v16 v;
      memcpy(&v, x + i, sizeof v);
      acc += v * v;
    }
    float block = 0.0f;
    for (int j = 0; j < 16; j++) block += acc[j];
    for (; i < end; i++) block += x[i] * x[i];
    total += block;
  }
  CHECK(napi_create_double(env, total, &result));
  return result;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !get_int(env, argv[0], &n) || n < 1 || n > MAX_THREADS) {
    napi_throw_range_error(env, NULL, "setThreads(n): n must be an integer from 1 to 64");
    return NULL;
  }
  g_threads = n;
  return NULL;
}

/* setPrecision(1): BF16 inputs with float32 accumulation; 0: float32. Returns whether BF16 is in use. */
static napi_value js_set_precision(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int bf16;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 1 || !get_int(env, argv[0], &bf16) || (bf16 != 0 && bf16 != 1)) {
    napi_throw_range_error(env, NULL, "setPrecision(bf16): bf16 must be 0 or 1");
    return NULL;
  }
  g_bf16 = HAVE_BF16 && bf16;
  CHECK(napi_get_boolean(env, g_bf16, &result));
  return result;
}

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, simd, threads, mr, bf16, bf16Active;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_string_utf8(env, SIMD_NAME, NAPI_AUTO_LENGTH, &simd));
  CHECK(napi_create_int32(env, g_threads, &threads));
  CHECK(napi_create_int32(env, MR, &mr));
  CHECK(napi_set_named_property(env, obj, "simd", simd));
  CHECK(napi_set_named_property(env, obj, "threads", threads));
  CHECK(napi_set_named_property(env, obj, "mr", mr));
  CHECK(napi_get_boolean(env, HAVE_BF16, &bf16));
  CHECK(napi_get_boolean(env, g_bf16, &bf16Active));
  CHECK(napi_set_named_property(env, obj, "bf16Supported", bf16));
  CHECK(napi_set_named_property(env, obj, "bf16", bf16Active));
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, js_sum, NULL, NULL, NULL, napi_default, NULL},
      {"exp", NULL, js_exp, NULL, NULL, NULL, napi_default, NULL},
      {"erf", NULL, js_erf, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, js_adamw, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setPrecision", NULL, js_set_precision, NULL, NULL, NULL, napi_default, NULL},
      {"gelu", NULL, js_gelu, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutMask", NULL, js_dropout_mask, NULL, NULL, NULL, napi_default, NULL},
      {"gatherRows", NULL, js_gather_rows, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, js_sum_squares, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, js_layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, js_layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
