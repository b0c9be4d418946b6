// Element-wise kernels in AVX2 + FMA, chosen at run time (zoo_kernels_have_avx2_fma) by the Swift code in
// Sources/Tensors, which keeps its portable 8-lane Swift versions for every other CPU.
//
// Why C: Swift compiles for the x86-64 baseline (SSE2: 4-lane vectors, no fused multiply-add) and has no
// per-function target attribute, so its SIMD8 code runs as two SSE halves without FMA. These functions
// carry __attribute__((target("avx2,fma"))) and are only called after the CPU was checked.
#ifndef ZOO_CKERNELS_H
#define ZOO_CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU (and OS) support AVX2 and FMA, so the *_avx2 functions below may be called; else 0.
int zoo_kernels_have_avx2_fma(void);

/// y[i] = 0.5 · x[i] · (1 + erf(x[i] / √2)) for n floats (exact GELU; x and y may be the same).
void zoo_gelu_avx2(const float *x, float *y, size_t n);

/// dx[i] = g[i] · (Φ(x[i]) + x[i] · φ(x[i])), the gradient of exact GELU.
void zoo_gelu_backward_avx2(const float *x, const float *g, float *dx, size_t n);

/// One row of softmax (max-subtracted): y = exp(x − max x) / Σ exp(x − max x); x and y may be the same.
void zoo_softmax_row_avx2(const float *x, float *y, size_t n);

/// One row of softmax's backward: dx = y ∘ (g − Σ g∘y); g and dx may be the same.
void zoo_softmax_backward_row_avx2(const float *y, const float *g, float *dx, size_t n);

/// One AdamW update of n parameters, as AdamW.update's Swift loop:
/// m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  p ← p·decay − stepSize · m / (√v / rootBC2 + eps).
void zoo_adamw_avx2(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2, float decay,
                    float stepSize, float rootBC2, float eps);

#ifdef __cplusplus
}
#endif

#endif
