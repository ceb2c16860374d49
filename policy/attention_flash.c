/* attention_flash.c: multi-head attention for inference (att_infer, att_int8_forward). Per head
 * and per tile of MR query rows: the scores against every allowed key, their softmax and the
 * weighted values, with the tile's scores (MR x keys) kept in L1; the N x N weights are never
 * stored, and masked keys are dropped before the products (only the allowed keys are packed). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "policy/attention.h"
#include "policy/nn_tile.h"

enum { LANES = NN_LANES, KC = 32, MR_MAX = NN_TILE_MR }; /* KC: keys per score tile */

#define INLINE NN_TILE_INLINE

size_t att_flash_floats(int Nk, int D)
{
    size_t dh = (size_t)(D / ATT_HEADS), dhp = (dh + LANES - 1) / LANES * LANES;
    size_t nkp = ((size_t)Nk + KC - 1) / KC * KC;
    return LANES + dh * nkp + nkp * dhp + MR_MAX * nkp;
}

/* Scores s [MR, nkp] of the MR query rows qr against the packed keys kt [dh, nkp] (scaled by
 * 1/sqrt(dh)), and each row's largest score over the nk real keys. */
INLINE void scores(float *s, float *mx, const float *const *qr, const float *kt, int dh, int nk,
                   int nkp, const int MR)
{
    nn_v16 vm[MR_MAX];
    for (int r = 0; r < MR; r++)
        vm[r] = nn_tile_splat(-INFINITY);
    for (int j0 = 0; j0 < nkp; j0 += KC) {
        nn_v16 acc[MR_MAX][4];
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++)
            acc[r][0] = acc[r][1] = nn_tile_splat(0);
        nn_tile_mul(acc, qr, kt + j0, (size_t)nkp, dh, MR, 2);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            *(nn_v16 *)(s + (size_t)r * nkp + j0) = acc[r][0];
            *(nn_v16 *)(s + (size_t)r * nkp + j0 + LANES) = acc[r][1];
            if (j0 + KC <= nk) vm[r] = nn_tile_max(vm[r], nn_tile_max(acc[r][0], acc[r][1]));
        }
    }
    for (int r = 0; r < MR; r++) {
        const float *sr = s + (size_t)r * nkp;
        float m = nn_tile_hmax(vm[r]);
        for (int j = nk / KC * KC; j < nk; j++)
            m = sr[j] > m ? sr[j] : m;
        mx[r] = m;
    }
}

/* s <- exp(s - max) over the nk real keys (0 beyond them); returns the row's sum. */
INLINE float softmax_numerators(float *s, float mx, int nk, int nkp)
{
    nn_v16 sum = nn_tile_splat(0), m = nn_tile_splat(mx), lane;
    int j = 0;
    for (; j + LANES <= nk; j += LANES) {
        nn_v16 e = nn_tile_exp(*(nn_v16 *)(s + j) - m);
        *(nn_v16 *)(s + j) = e;
        sum += e;
    }
    for (int k = 0; k < LANES; k++)
        lane[k] = (float)(j + k);
    for (; j < nkp; j += LANES, lane += (float)LANES) { /* the last real keys, then padding */
        nn_v16 x = nn_tile_min(*(nn_v16 *)(s + j) - m, nn_tile_splat(0));
        nn_v16 e = (nn_v16)((nn_v16i)nn_tile_exp(x) & (lane < (float)nk));
        *(nn_v16 *)(s + j) = e;
        sum += e;
    }
    return nn_tile_hsum(sum);
}

/* out rows (stride ldo) = s [MR, nkp] x vp [nk, dhp] for the columns cb .. cb + NV * 16, scaled
 * by inv[r]; only the first `rows` rows and `cols` columns are stored. */
INLINE void weighted_values(float *out, int ldo, const float *s, const float *vp, const float *inv,
                            int nk, int nkp, int dhp, int cb, int rows, int cols, const int MR,
                            const int NV)
{
    nn_v16 acc[MR_MAX][4];
    const float *sr[MR_MAX];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
        acc[r][0] = acc[r][1] = nn_tile_splat(0);
        sr[r] = s + (size_t)r * nkp;
    }
    nn_tile_mul(acc, sr, vp + cb, (size_t)dhp, nk, MR, NV);
    for (int r = 0; r < rows; r++) {
        nn_v16 t[2] = {acc[r][0] * inv[r], acc[r][1] * inv[r]};
        memcpy(out + (size_t)r * ldo, t, (size_t)cols * sizeof(float));
    }
}

INLINE void mha_body(float *out, const float *q, int ldq, const float *k, const float *v, int ldkv,
                     const float *kmask, int Nq, int Nk, int D, float *scratch, const int MR)
{
    int dh = D / ATT_HEADS, dhp = (dh + LANES - 1) / LANES * LANES, nk = 0;
    for (int j = 0; j < Nk; j++)
        nk += !kmask || kmask[j] != 0;
    if (!nk) { /* no key at all: zero rows, as the reference softmax gives */
        for (int i = 0; i < Nq; i++)
            memset(out + (size_t)i * D, 0, (size_t)D * sizeof *out);
        return;
    }
    int nkp = (nk + KC - 1) / KC * KC;
    float *kt = nn_tile_align(scratch), *vp = kt + (size_t)dh * nkp, *s = vp + (size_t)nkp * dhp;
    float scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < ATT_HEADS; h++) {
        /* keys transposed in blocks of KC rows (their rows stay in L1 while each of the dh
         * rows of kt gets KC contiguous entries); values row by row */
        for (int j0 = 0, jj0 = 0; j0 < Nk;) {
            const float *kr[KC];
            int c = 0;
            for (; j0 < Nk && c < KC; j0++) {
                if (kmask && kmask[j0] == 0) continue;
                kr[c] = k + (size_t)j0 * ldkv + h * dh;
                const float *vr = v + (size_t)j0 * ldkv + h * dh;
                memcpy(vp + (size_t)(jj0 + c) * dhp, vr, (size_t)dh * sizeof *vp);
                memset(vp + (size_t)(jj0 + c) * dhp + dh, 0, (size_t)(dhp - dh) * sizeof *vp);
                c++;
            }
            for (int d = 0; d < dh; d++)
                for (int t = 0; t < c; t++)
                    kt[(size_t)d * nkp + jj0 + t] = kr[t][d] * scale;
            jj0 += c;
        }
        for (int d = 0; d < dh; d++) /* padding keys score 0; softmax_numerators drops them */
            memset(kt + (size_t)d * nkp + nk, 0, (size_t)(nkp - nk) * sizeof *kt);
        for (int i0 = 0; i0 < Nq; i0 += MR) {
            const float *qr[MR_MAX];
            int rows = nn_tile_rows(qr, q + h * dh, (size_t)ldq, i0, Nq, MR);
            float mx[MR_MAX], inv[MR_MAX];
            scores(s, mx, qr, kt, dh, nk, nkp, MR);
            for (int r = 0; r < MR; r++)
                inv[r] = 1.0f / softmax_numerators(s + (size_t)r * nkp, mx[r], nk, nkp);
            float *o = out + (size_t)i0 * D + h * dh;
            for (int cb = 0; cb < dhp; cb += 2 * LANES) {
                int cols = dh - cb < 2 * LANES ? dh - cb : 2 * LANES;
                if (dhp - cb >= 2 * LANES)
                    weighted_values(o + cb, D, s, vp, inv, nk, nkp, dhp, cb, rows, cols, MR, 2);
                else
                    weighted_values(o + cb, D, s, vp, inv, nk, nkp, dhp, cb, rows, cols, MR, 1);
            }
        }
    }
}

#define MHA_ARGS                                                                                   \
    float *out, const float *q, int ldq, const float *k, const float *v, int ldkv,                 \
        const float *kmask, int Nq, int Nk, int D, float *scratch
#define MHA_PASS out, q, ldq, k, v, ldkv, kmask, Nq, Nk, D, scratch

/* Tile heights: MR rows x 2 vectors of accumulators must leave registers for the keys. */
NN_TILE_V4 static void mha_v4(MHA_ARGS)
{
    mha_body(MHA_PASS, 8); /* 16 of 32 zmm */
}
NN_TILE_V3 static void mha_v3(MHA_ARGS)
{
    mha_body(MHA_PASS, 3); /* 12 of 16 ymm */
}
static void mha_base(MHA_ARGS)
{
    mha_body(MHA_PASS, 2);
}

void att_flash_mha(MHA_ARGS)
{
    NN_TILE_CALL(mha, MHA_PASS);
}
