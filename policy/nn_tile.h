/* nn_tile.h: the register tile of the inference kernels (nn_infer.c, attention_flash.c), in GCC
 * vector extensions: MR rows of A, each read as scalars and broadcast, times NP (up to 4)
 * 16-float columns of a packed panel B [K][ldb], accumulated in MR x NP vector registers.
 * Includers compile it once per instruction set (a target attribute each) with an MR that fits
 * the register file: one nn_v16 is one AVX-512 register, two AVX2 ones. */
#ifndef KISIM_NN_TILE_H
#define KISIM_NN_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/nn.h" /* nn_tile_isa */

typedef float nn_v16 __attribute__((vector_size(64)));
typedef int32_t nn_v16i __attribute__((vector_size(64)));

enum { NN_LANES = 16, NN_TILE_MR = 8 }; /* NN_TILE_MR: the largest tile height */

#define NN_TILE_INLINE static inline __attribute__((always_inline))

/* Variants: NN_TILE_V4 / NN_TILE_V3 mark a function compiled for x86-64-v4 / -v3, and
 * NN_TILE_CALL(fn, ...) calls fn_v4, fn_v3 or fn_base by nn_tile_isa(). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define NN_TILE_V4 __attribute__((target("arch=x86-64-v4")))
#define NN_TILE_V3 __attribute__((target("arch=x86-64-v3")))
#else
#define NN_TILE_V4
#define NN_TILE_V3
#endif
#define NN_TILE_CALL(fn, ...)                                                                      \
    do {                                                                                           \
        int isa_ = nn_tile_isa();                                                                  \
        if (isa_ == 4)                                                                             \
            fn##_v4(__VA_ARGS__);                                                                  \
        else if (isa_ == 3)                                                                        \
            fn##_v3(__VA_ARGS__);                                                                  \
        else                                                                                       \
            fn##_base(__VA_ARGS__);                                                                \
    } while (0)

NN_TILE_INLINE nn_v16 nn_tile_splat(float x)
{
    return (nn_v16){0} + x;
}

/* Bitwise selects (C has no ?: on vectors); GCC makes them vmaxps / vminps / blends. */
NN_TILE_INLINE nn_v16 nn_tile_max(nn_v16 a, nn_v16 b)
{
    nn_v16i m = a > b;
    return (nn_v16)(((nn_v16i)a & m) | ((nn_v16i)b & ~m));
}

NN_TILE_INLINE nn_v16 nn_tile_min(nn_v16 a, nn_v16 b)
{
    nn_v16i m = a < b;
    return (nn_v16)(((nn_v16i)a & m) | ((nn_v16i)b & ~m));
}

/* nn_exp_poly (Cephes' expf, nn.h) on 16 lanes, for x <= 88 (softmax arguments are <= 0). */
NN_TILE_INLINE nn_v16 nn_tile_exp(nn_v16 x)
{
    x = nn_tile_max(x, nn_tile_splat(-87.0f));
    nn_v16 n, r, p;
    NN_EXP_CORE(p, n, r, x, nn_tile_splat(12582912.0f));
    nn_v16i bits = (__builtin_convertvector(n, nn_v16i) + 127) << 23;
    return p * (nn_v16)bits;
}

NN_TILE_INLINE float nn_tile_hmax(nn_v16 v)
{
    float m = v[0];
    for (int k = 1; k < NN_LANES; k++)
        m = v[k] > m ? v[k] : m;
    return m;
}

NN_TILE_INLINE float nn_tile_hsum(nn_v16 v)
{
    float s = 0;
    for (int k = 0; k < NN_LANES; k++)
        s += v[k];
    return s;
}

/* acc[r][p] += sum_k a[r][k] * b[k * ldb + 16 p .. + 16] for r < MR, p < NP (up to 4); b 64-byte
 * aligned, ldb a multiple of 16. */
NN_TILE_INLINE void nn_tile_mul(nn_v16 acc[][4], const float *const *a, const float *b, size_t ldb,
                                int K, const int MR, const int NP)
{
    for (int k = 0; k < K; k++) {
        nn_v16 bv[4];
#pragma GCC unroll 4
        for (int p = 0; p < NP; p++)
            bv[p] = *(const nn_v16 *)(b + (size_t)k * ldb + p * NN_LANES);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
            for (int p = 0; p < NP; p++)
                acc[r][p] += a[r][k] * bv[p];
    }
}

/* ptr[r] = base + (i0 + r) * ld for the MR rows of a tile starting at row i0 of n, a short last
 * tile repeating its last row; returns the number of real rows. */
NN_TILE_INLINE int nn_tile_rows(const float **ptr, const float *base, size_t ld, int i0, int n,
                                const int MR)
{
    int rows = n - i0 < MR ? n - i0 : MR;
    for (int r = 0; r < MR; r++)
        ptr[r] = base + (size_t)(i0 + (r < rows ? r : rows - 1)) * ld;
    return rows;
}

static inline float *nn_tile_align(float *p)
{
    return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

#endif
