/* nn_infer.c: the linear layer for inference without OpenBLAS, in register tiles (nn_tile.h).
 * At a few rows it computes out^T = W in^T with W's rows as the broadcast operand, so that only
 * the input is repacked, never the weights: OpenBLAS spends a third of a 10-node scorer call
 * packing weights (tens of KB per layer) that it then uses a handful of times. At many rows it
 * packs W^T once (1/B of the work) and writes out's rows directly. */
#include "policy/nn.h"

#include <math.h>
#include <string.h>

#include "policy/nn_tile.h"

#define INLINE NN_TILE_INLINE

static size_t up32(int n)
{
    return ((size_t)n + 2 * NN_LANES - 1) / (2 * NN_LANES) * (2 * NN_LANES);
}

static size_t up64(int n)
{
    return ((size_t)n + 4 * NN_LANES - 1) / (4 * NN_LANES) * (4 * NN_LANES);
}

size_t nn_linear_infer_floats(int B, int C, int OC)
{
    size_t t = (size_t)C * up32(B), n = (size_t)C * (up64(OC) + NN_TILE_MR) + NN_LANES;
    return NN_LANES + (t > n ? t : n);
}

/* dst [C, rp] = src [R, C]^T, zero beyond row R; 16 source rows at a time, so that they stay in
 * L1 while each of dst's C rows gets 16 contiguous entries. */
INLINE void pack_t(float *dst, const float *src, int R, int C, int rp)
{
    for (int r0 = 0; r0 < rp; r0 += NN_LANES) {
        int n = R - r0 < NN_LANES ? R - r0 : NN_LANES;
        n = n < 0 ? 0 : n;
        for (int c = 0; c < C; c++) {
            float *d = dst + (size_t)c * rp + r0;
            for (int t = 0; t < n; t++)
                d[t] = src[(size_t)(r0 + t) * C + c];
            for (int t = n; t < NN_LANES; t++)
                d[t] = 0;
        }
    }
}

/* Few rows: out^T = W in^T, tiles of MR weight rows (broadcast) by NP vectors of 16 packed
 * input rows; the tile is transposed into out's rows on the way out. */
INLINE void lin_t(float *out, const float *in, const float *w, const float *b, int B, int C, int OC,
                  float *scratch, const int MR, const int NP)
{
    const int cols = NP * NN_LANES, bp = (B + cols - 1) / cols * cols;
    float *bt = nn_tile_align(scratch);
    pack_t(bt, in, B, C, bp);
    for (int o0 = 0; o0 < OC; o0 += MR) {
        const float *wr[NN_TILE_MR];
        int rows = nn_tile_rows(wr, w, (size_t)C, o0, OC, MR);
        for (int j0 = 0; j0 < bp; j0 += cols) {
            nn_v16 acc[NN_TILE_MR][4];
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++)
                acc[r][0] = acc[r][1] = nn_tile_splat(b ? b[o0 + (r < rows ? r : rows - 1)] : 0);
            nn_tile_mul(acc, wr, bt + j0, (size_t)bp, C, MR, NP);
            float tmp[NN_TILE_MR][2 * NN_LANES];
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++) {
                memcpy(tmp[r], &acc[r][0], sizeof acc[r][0]);
                if (NP > 1) memcpy(tmp[r] + NN_LANES, &acc[r][1], sizeof acc[r][1]);
            }
            int n = B - j0 < cols ? B - j0 : cols;
            for (int t = 0; t < n; t++) {
                float *orow = out + (size_t)(j0 + t) * OC + o0;
                for (int r = 0; r < rows; r++)
                    orow[r] = tmp[r][t];
            }
        }
    }
}

/* Many rows: out = in W^T, tiles of MR input rows (broadcast) by four vectors of 16 output
 * channels of W^T, packed once per call (1/B of the work). Six rows by 64 channels: 24
 * accumulators, and 4 loads and 6 broadcasts per 24 FMAs. */
INLINE void lin_n(float *out, const float *in, const float *w, const float *b, int B, int C, int OC,
                  float *scratch, const int MR)
{
    enum { NB = 4 * NN_LANES };
    const int ocp = (int)up64(OC);
    float *wt = nn_tile_align(scratch);
    pack_t(wt, w, OC, C, ocp);
    for (int i0 = 0; i0 < B; i0 += MR) {
        const float *ir[NN_TILE_MR];
        int rows = nn_tile_rows(ir, in, (size_t)C, i0, B, MR);
        for (int j0 = 0; j0 < ocp; j0 += NB) {
            nn_v16 acc[NN_TILE_MR][4], bias[4] = {{0}};
            int n = OC - j0 < NB ? OC - j0 : NB;
            if (b) memcpy(bias, b + j0, (size_t)n * sizeof *b);
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
                for (int p = 0; p < 4; p++)
                    acc[r][p] = bias[p];
            nn_tile_mul(acc, ir, wt + j0, (size_t)ocp, C, MR, 4);
            for (int r = 0; r < rows; r++)
                memcpy(out + (size_t)(i0 + r) * OC + j0, acc[r], (size_t)n * sizeof *out);
        }
    }
}

/* The orientation that repacks less: W (OC x C) or the input and output (B x (C + OC)). */
static int by_rows(int B, int C, int OC)
{
    return (size_t)OC * C < (size_t)B * (C + OC);
}

/* out = LN(x + y) per row (y may be NULL), as nn_layernorm_forward, with the sums in 16
 * partial lanes (a serial float sum is 2 x C dependent adds per row). */
INLINE void add_ln(float *out, const float *x, const float *y, const float *w, const float *b,
                   int B, int C)
{
    for (int r = 0; r < B; r++) {
        const float *xr = x + (size_t)r * C, *yr = y ? y + (size_t)r * C : NULL;
        float *o = out + (size_t)r * C, sum, var;
        nn_v16 acc = nn_tile_splat(0), v, t;
        int c = 0, cv = C / NN_LANES * NN_LANES;
        for (; c < cv; c += NN_LANES) {
            memcpy(&v, xr + c, sizeof v);
            if (yr) memcpy(&t, yr + c, sizeof t), v += t;
            memcpy(o + c, &v, sizeof v);
            acc += v;
        }
        sum = nn_tile_hsum(acc);
        for (; c < C; c++)
            o[c] = xr[c] + (yr ? yr[c] : 0), sum += o[c];
        float m = sum / C;
        acc = nn_tile_splat(0);
        for (c = 0; c < cv; c += NN_LANES) {
            memcpy(&v, o + c, sizeof v);
            v -= m;
            acc += v * v;
        }
        var = nn_tile_hsum(acc);
        for (; c < C; c++)
            var += (o[c] - m) * (o[c] - m);
        float s = 1.0f / sqrtf(var / C + 1e-5f);
        for (c = 0; c < C; c++)
            o[c] = (o[c] - m) * s * w[c] + b[c];
    }
}

#define LN_ARGS                                                                                    \
    float *out, const float *x, const float *y, const float *w, const float *b, int B, int C
#define LN_PASS out, x, y, w, b, B, C

#define LIN_ARGS                                                                                   \
    float *out, const float *in, const float *w, const float *b, int B, int C, int OC,             \
        float *scratch
#define LIN_PASS out, in, w, b, B, C, OC, scratch

static int isa_cap; /* 0: not lowered */

void nn_tile_set_isa(int isa)
{
    isa_cap = isa;
}

int nn_tile_isa(void)
{
    int best = 1;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    if (__builtin_cpu_supports("x86-64-v4"))
        best = 4;
    else if (__builtin_cpu_supports("x86-64-v3"))
        best = 3;
#endif
    return isa_cap && isa_cap < best ? isa_cap : best;
}

/* MR is also bounded by the general registers: one pointer per weight row. */
NN_TILE_V4 static void linear_v4(LIN_ARGS)
{
    if (by_rows(B, C, OC))
        lin_n(LIN_PASS, 6); /* 24 of 32 zmm */
    else if (B <= NN_LANES)
        lin_t(LIN_PASS, 8, 1);
    else
        lin_t(LIN_PASS, 8, 2);
}
NN_TILE_V3 static void linear_v3(LIN_ARGS)
{
    if (by_rows(B, C, OC))
        lin_n(LIN_PASS, 1); /* 8 of 16 ymm */
    else
        lin_t(LIN_PASS, 6, 1);
}
static void linear_base(LIN_ARGS)
{
    if (by_rows(B, C, OC))
        lin_n(LIN_PASS, 1);
    else
        lin_t(LIN_PASS, 2, 1);
}

void nn_linear_infer(LIN_ARGS)
{
    NN_TILE_CALL(linear, LIN_PASS);
}

NN_TILE_V4 static void add_ln_v4(LN_ARGS)
{
    add_ln(LN_PASS);
}
NN_TILE_V3 static void add_ln_v3(LN_ARGS)
{
    add_ln(LN_PASS);
}
static void add_ln_base(LN_ARGS)
{
    add_ln(LN_PASS);
}

void nn_add_layernorm_infer(LN_ARGS)
{
    NN_TILE_CALL(add_ln, LN_PASS);
}
