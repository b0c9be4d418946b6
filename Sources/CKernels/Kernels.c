// AVX2 + FMA versions of the element-wise kernels whose Swift versions (Sources/Tensors/Core/VectorMath.swift)
// run as SSE halves. Same formulas, so both paths agree to a few float ulps:
// - exp: x = n·ln 2 + r, e^r by its degree-7 Taylor polynomial, times 2^n built in the exponent bits;
// - erf: Abramowitz & Stegun 7.1.26 for |x| ≥ 0.5 (absolute error 1.5e-7, PyTorch's vectorised CPU erf),
//   the Maclaurin series below 0.5, odd in x.
#include "CKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <math.h>

#define AVX2 __attribute__((target("avx2,fma")))

int zoo_kernels_have_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline AVX2 __m256 splat(float v) { return _mm256_set1_ps(v); }

static inline AVX2 __m256 exp8(__m256 x) {
    // Clamp with compares and blends, not min/max: a NaN lane must stay NaN (min/max would return the bound).
    const __m256 hi = splat(88.7f), lo = splat(-87.3f);
    const __m256 over = _mm256_cmp_ps(x, hi, _CMP_GT_OQ), under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 c = _mm256_blendv_ps(_mm256_blendv_ps(x, hi, over), lo, under);
    // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits.
    const __m256 shifted = _mm256_fmadd_ps(c, splat(1.44269504088896341f), splat(12582912.0f));
    const __m256 n = _mm256_sub_ps(shifted, splat(12582912.0f));
    __m256 r = _mm256_fnmadd_ps(n, splat(0.693145751953125f), c);
    r = _mm256_fnmadd_ps(n, splat(1.428606765330187045e-06f), r);
    __m256 p = splat(1.0f / 5040);
    p = _mm256_fmadd_ps(p, r, splat(1.0f / 720));
    p = _mm256_fmadd_ps(p, r, splat(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, splat(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, splat(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, splat(0.5f));
    p = _mm256_fmadd_ps(p, r, splat(1.0f));
    p = _mm256_fmadd_ps(p, r, splat(1.0f));
    const __m256i integer = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000));
    const __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(integer, _mm256_set1_epi32(127)), 23));
    __m256 result = _mm256_mul_ps(p, scale);
    result = _mm256_blendv_ps(result, _mm256_setzero_ps(), under);
    return _mm256_blendv_ps(result, splat(INFINITY), over);
}

static inline AVX2 __m256 erf8(__m256 x) {
    const __m256 signMask = splat(-0.0f);
    const __m256 a = _mm256_andnot_ps(signMask, x);
    const __m256 t = _mm256_div_ps(splat(1.0f), _mm256_fmadd_ps(a, splat(0.3275911f), splat(1.0f)));
    __m256 p = splat(1.061405429f);
    p = _mm256_fmadd_ps(p, t, splat(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, splat(1.421413741f));
    p = _mm256_fmadd_ps(p, t, splat(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, splat(0.254829592f));
    const __m256 a2 = _mm256_mul_ps(a, a);
    __m256 magnitude = _mm256_fnmadd_ps(_mm256_mul_ps(t, p), exp8(_mm256_xor_ps(a2, signMask)), splat(1.0f));
    // Near 0 the formula cancels (1 − almost 1): the Maclaurin series keeps the relative error at an ulp.
    __m256 s = splat(1.0f / 1320);
    s = _mm256_fnmadd_ps(s, a2, splat(1.0f / 216));
    s = _mm256_fmadd_ps(s, a2, splat(-1.0f / 42));
    s = _mm256_fmadd_ps(s, a2, splat(1.0f / 10));
    s = _mm256_fmadd_ps(s, a2, splat(-1.0f / 3));
    s = _mm256_fmadd_ps(s, a2, splat(1.0f));
    const __m256 series = _mm256_mul_ps(_mm256_mul_ps(splat(1.1283791670955126f), a), s);
    magnitude = _mm256_blendv_ps(magnitude, series, _mm256_cmp_ps(a, splat(0.5f), _CMP_LT_OQ));
    return _mm256_or_ps(magnitude, _mm256_and_ps(x, signMask));
}

static inline AVX2 __m256 gelu8(__m256 x) {
    const __m256 half = _mm256_mul_ps(splat(0.5f), x);
    return _mm256_fmadd_ps(half, erf8(_mm256_mul_ps(x, splat(0.70710678118654752f))), half);
}

static inline AVX2 __m256 geluGrad8(__m256 x, __m256 g) {
    const __m256 cdf = _mm256_fmadd_ps(splat(0.5f), erf8(_mm256_mul_ps(x, splat(0.70710678118654752f))), splat(0.5f));
    const __m256 pdf = _mm256_mul_ps(splat(0.39894228040143268f), exp8(_mm256_mul_ps(splat(-0.5f), _mm256_mul_ps(x, x))));
    return _mm256_mul_ps(g, _mm256_fmadd_ps(x, pdf, cdf));
}

// The last n mod 8 floats go through the same 8-lane code, padded with zeros.
static inline AVX2 __m256 loadTail(const float *p, size_t count) {
    float buffer[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t k = 0; k < count; k++) buffer[k] = p[k];
    return _mm256_loadu_ps(buffer);
}

static inline AVX2 void storeTail(float *p, __m256 v, size_t count) {
    float buffer[8];
    _mm256_storeu_ps(buffer, v);
    for (size_t k = 0; k < count; k++) p[k] = buffer[k];
}

static inline AVX2 float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2 void zoo_gelu_avx2(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, gelu8(_mm256_loadu_ps(x + i)));
    if (i < n) storeTail(y + i, gelu8(loadTail(x + i, n - i)), n - i);
}

AVX2 void zoo_gelu_backward_avx2(const float *x, const float *g, float *dx, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dx + i, geluGrad8(_mm256_loadu_ps(x + i), _mm256_loadu_ps(g + i)));
    if (i < n) storeTail(dx + i, geluGrad8(loadTail(x + i, n - i), loadTail(g + i, n - i)), n - i);
}

AVX2 void zoo_softmax_row_avx2(const float *x, float *y, size_t n) {
    // max, skipping NaN lanes as the Swift row maximum does (a compare with NaN is false).
    __m256 m8 = splat(-INFINITY);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        m8 = _mm256_blendv_ps(m8, v, _mm256_cmp_ps(v, m8, _CMP_GT_OQ));
    }
    float lanes[8], m = -INFINITY;
    _mm256_storeu_ps(lanes, m8);
    for (int k = 0; k < 8; k++) if (lanes[k] > m) m = lanes[k];
    for (size_t j = i; j < n; j++) if (x[j] > m) m = x[j];
    const __m256 mv = splat(m);
    __m256 acc = _mm256_setzero_ps();
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        _mm256_storeu_ps(y + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float s = sum8(acc);
    if (i < n) {
        // Padded lanes would add exp(0 − m): only the real ones are summed.
        float buffer[8];
        _mm256_storeu_ps(buffer, exp8(_mm256_sub_ps(loadTail(x + i, n - i), mv)));
        for (size_t k = 0; k < n - i; k++) { y[i + k] = buffer[k]; s += buffer[k]; }
    }
    const float inv = 1.0f / s;
    const __m256 iv = splat(inv);
    for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), iv));
    for (; i < n; i++) y[i] *= inv;
}

AVX2 void zoo_softmax_backward_row_avx2(const float *y, const float *g, float *dx, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(g + i), _mm256_loadu_ps(y + i), acc);
    float dot = sum8(acc);
    for (size_t j = i; j < n; j++) dot += g[j] * y[j];
    const __m256 dv = splat(dot);
    for (i = 0; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dx + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), _mm256_sub_ps(_mm256_loadu_ps(g + i), dv)));
    for (; i < n; i++) dx[i] = y[i] * (g[i] - dot);
}

AVX2 void zoo_adamw_avx2(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                         float decay, float stepSize, float rootBC2, float eps) {
    // The Swift loop's formula, 8 lanes at a time; sqrt and divide are exact in both, FMA contracts the rest.
    const __m256 b1 = splat(beta1), c1 = splat(1 - beta1), b2 = splat(beta2), c2 = splat(1 - beta2);
    const __m256 dv = splat(decay), sv = splat(stepSize), rv = splat(1 / rootBC2), ev = splat(eps);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 gi = _mm256_loadu_ps(g + i);
        const __m256 mi = _mm256_fmadd_ps(b1, _mm256_loadu_ps(m + i), _mm256_mul_ps(c1, gi));
        const __m256 vi = _mm256_fmadd_ps(b2, _mm256_loadu_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(c2, gi), gi));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        const __m256 denominator = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), rv, ev);
        _mm256_storeu_ps(p + i, _mm256_fnmadd_ps(sv, _mm256_div_ps(mi, denominator), _mm256_mul_ps(_mm256_loadu_ps(p + i), dv)));
    }
    for (; i < n; i++) {
        const float mi = beta1 * m[i] + (1 - beta1) * g[i];
        const float vi = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) / rootBC2 + eps);
    }
}

#else
// Other architectures: never chosen (the Swift kernels run), but the symbols exist so Swift links.
int zoo_kernels_have_avx2_fma(void) { return 0; }
void zoo_gelu_avx2(const float *x, float *y, size_t n) { (void)x; (void)y; (void)n; __builtin_trap(); }
void zoo_gelu_backward_avx2(const float *x, const float *g, float *dx, size_t n) { (void)x; (void)g; (void)dx; (void)n; __builtin_trap(); }
void zoo_softmax_row_avx2(const float *x, float *y, size_t n) { (void)x; (void)y; (void)n; __builtin_trap(); }
void zoo_softmax_backward_row_avx2(const float *y, const float *g, float *dx, size_t n) { (void)y; (void)g; (void)dx; (void)n; __builtin_trap(); }
void zoo_adamw_avx2(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2, float decay,
                    float stepSize, float rootBC2, float eps) {
    (void)p; (void)g; (void)m; (void)v; (void)n; (void)beta1; (void)beta2; (void)decay; (void)stepSize; (void)rootBC2; (void)eps;
    __builtin_trap();
}
#endif
