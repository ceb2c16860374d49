/* nn_infer.c: the linear layer for inference without OpenBLAS: out^T = W in^T computed in
 * register tiles (nn_tile.h) with W's rows as the broadcast operand, so only the input (B rows)
 * is repacked per call, never the weights: at a few rows, OpenBLAS spends a third of its time
 * packing the weights (tens of KB per layer) that it then uses a handful of times. */
#include "policy/nn.h"

#include <string.h>

#include "policy/nn_tile.h"

#define INLINE NN_TILE_INLINE

size_t nn_linear_infer_floats(int B, int C)
{
    size_t bp = ((size_t)B + 2 * NN_LANES - 1) / (2 * NN_LANES) * (2 * NN_LANES);
    return NN_LANES + (size_t)C * bp;
}

/* Tiles of MR weight rows by NP vectors of 16 input rows. */
INLINE void linear_body(float *out, const float *in, const float *w, const float *b, int B,
                        int C, int OC, float *scratch, const int MR, const int NP)
{
    const int cols = NP * NN_LANES;
    const int bp = (B + cols - 1) / cols * cols;
    float *bt = nn_tile_align(scratch);
    /* bt [C, bp] = in^T, zero beyond row B; 16 input rows at a time, so they stay in L1 */
    for (int b0 = 0; b0 < bp; b0 += NN_LANES) {
        int n = B - b0 < NN_LANES ? B - b0 : NN_LANES;
        if (n <= 0) {
            for (int c = 0; c < C; c++) memset(bt + (size_t)c * bp + b0, 0, NN_LANES * sizeof *bt);
            continue;
        }
        for (int c = 0; c < C; c++) {
            float *d = bt + (size_t)c * bp + b0;
            for (int t = 0; t < n; t++) d[t] = in[(size_t)(b0 + t) * C + c];
            for (int t = n; t < NN_LANES; t++) d[t] = 0;
        }
    }
    for (int o0 = 0; o0 < OC; o0 += MR) {
        const float *wr[NN_TILE_MR];
        int rows = OC - o0 < MR ? OC - o0 : MR;
        for (int r = 0; r < MR; r++) /* a short last tile repeats its last row */
            wr[r] = w + (size_t)(o0 + (r < rows ? r : rows - 1)) * C;
        for (int j0 = 0; j0 < bp; j0 += cols) {
            nn_v16 acc[NN_TILE_MR][2];
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++)
                acc[r][0] = acc[r][1] = nn_tile_splat(b ? b[o0 + (r < rows ? r : rows - 1)] : 0);
            nn_tile_mul(acc, wr, bt + j0, (size_t)bp, C, MR, NP);
            /* acc[r] holds out[j0 .. j0 + cols][o0 + r]: transpose into out's rows */
            float tmp[NN_TILE_MR][2 * NN_LANES];
#pragma GCC unroll 8
            for (int r = 0; r < MR; r++) {
                memcpy(tmp[r], &acc[r][0], sizeof acc[r][0]);
                if (NP > 1) memcpy(tmp[r] + NN_LANES, &acc[r][1], sizeof acc[r][1]);
            }
            int n = B - j0 < cols ? B - j0 : cols;
            for (int t = 0; t < n; t++) {
                float *orow = out + (size_t)(j0 + t) * OC + o0;
                for (int r = 0; r < rows; r++) orow[r] = tmp[r][t];
            }
        }
    }
}

#define LIN_ARGS                                                                               \
    float *out, const float *in, const float *w, const float *b, int B, int C, int OC,         \
        float *scratch
#define LIN_PASS out, in, w, b, B, C, OC, scratch

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define INFER_X86 1
/* MR is also bounded by the general registers: one pointer per weight row. */
__attribute__((target("arch=x86-64-v4"))) static void linear_v4(LIN_ARGS)
{
    if (B <= NN_LANES) linear_body(LIN_PASS, 8, 1); /* 8 or 16 of 32 zmm */
    else linear_body(LIN_PASS, 8, 2);
}
__attribute__((target("arch=x86-64-v3"))) static void linear_v3(LIN_ARGS)
{
    linear_body(LIN_PASS, 6, 1); /* 12 of 16 ymm */
}
#endif
static void linear_base(LIN_ARGS)
{
    linear_body(LIN_PASS, 2, 1);
}

void nn_linear_infer(LIN_ARGS)
{
#ifdef INFER_X86
    if (__builtin_cpu_supports("x86-64-v4")) linear_v4(LIN_PASS);
    else if (__builtin_cpu_supports("x86-64-v3")) linear_v3(LIN_PASS);
    else
#endif
        linear_base(LIN_PASS);
}
