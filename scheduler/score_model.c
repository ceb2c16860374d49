/* score_model.c: the PPO and attention links' models (score_model.h).
 *
 * Refusal (docs/ARCHITECTURE.md, "The scoring service": "a feature it needs is unavailable,
 * or telemetry far outside its feature_stats"):
 * - PPO: its feature_stats list, per feature seen in training, the raw min/max/mean/std. It
 *   needs every listed feature; a candidate's newest value is far outside when it lies beyond
 *   [min - w, max + w], w = max(max - min, 5% of the feature's normalisation range).
 * - attention: trained with random feature masking, so it needs none; a value is far outside
 *   when its standardised distance |(v - mean) * inv_std| exceeds 10 and |v - mean| exceeds 0.05
 *   of the normalised range (a feature constant in training has a huge inv_std). */
#include "scheduler/score_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "policy/ckpt.h"
#include "policy/ppo_io.h"
#include "spaces/spaces.h"

#define ATT_FAR_Z 10.0f
#define FAR_MIN_SHARE 0.05f

static int ppo_stats(score_model *m, const char *stats, const char *path)
{
    cJSON *o = cJSON_Parse(stats ? stats : "");
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return kisim_seterr(KISIM_EINPUT, "policy %s: feature_stats is not a JSON object", path);
    }
    for (int f = 0; f < KISIM_F; f++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, kisim_features[f].name);
        if (!s) continue;
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(s, "min");
        const cJSON *hi = cJSON_GetObjectItemCaseSensitive(s, "max");
        if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi) || lo->valuedouble > hi->valuedouble) {
            cJSON_Delete(o);
            return kisim_seterr(KISIM_EINPUT,
                                "policy %s: feature_stats.%s: expected numbers "
                                "min <= max",
                                path, kisim_features[f].name);
        }
        double w = hi->valuedouble - lo->valuedouble;
        double floor_w = FAR_MIN_SHARE * (kisim_features[f].hi - kisim_features[f].lo);
        if (w < floor_w) w = floor_w;
        m->needs[f] = 1;
        m->ok_lo[f] = (float)(lo->valuedouble - w);
        m->ok_hi[f] = (float)(hi->valuedouble + w);
    }
    cJSON_Delete(o);
    return 0;
}

int score_model_load(score_model **out, score_link link, const char *path)
{
    *out = NULL;
    ckpt c;
    memset(&c, 0, sizeof c);
    score_model *m = calloc(1, sizeof *m);
    if (!m) return kisim_seterr(KISIM_ENOMEM, "score: out of memory");
    static atomic_uint_fast64_t next_id;
    atomic_init(&m->refs, 1);
    /* relaxed: only uniqueness matters, nothing is published through the counter */
    m->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed) + 1;
    m->link = link;
    int err = ckpt_read(&c, path, link == SCORE_LINK_PPO ? "ppo-cluster" : "attention-scorer");
    if (err) goto cleanup;
    if (link == SCORE_LINK_PPO) {
        err = ppo_model_from_ckpt(&m->ppo, &c, path);
        if (!err) m->ppo.norm_frozen = 1;
        if (!err && (err = ppo_stats(m, c.feature_stats, path))) ppo_model_free(&m->ppo);
    } else {
        err = att_model_from_ckpt(&m->att, &c, path);
    }
    if (err) goto cleanup;
    const char *base = strrchr(path, '/');
    snprintf(m->version, sizeof m->version, "%.100s@%s", base ? base + 1 : path, c.crc32);
    for (char *v = m->version; *v; v++) /* it goes into JSON and Prometheus labels unescaped */
        if (*v < 0x20 || *v >= 0x7f || *v == '"' || *v == '\\') *v = '?';
cleanup:
    ckpt_free(&c);
    if (err)
        free(m);
    else
        *out = m;
    return err;
}

void score_model_ref(score_model *m)
{
    /* relaxed: the caller already holds a reference, so the model is visible to it */
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void score_model_unref(score_model *m)
{
    if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1) return;
    if (m->link == SCORE_LINK_PPO)
        ppo_model_free(&m->ppo);
    else
        att_model_free(&m->att);
    free(m);
}

int score_model_refuses(const score_model *m, const score_input *in, char *msg, size_t cap)
{
    if (m->link == SCORE_LINK_PPO) {
        for (int f = 0; f < KISIM_F; f++)
            if (m->needs[f] && !in->avail[f]) {
                snprintf(msg, cap, "needs %s, which is not measured on every candidate",
                         kisim_features[f].name);
                return 1;
            }
        for (int i = 0; i < in->n; i++)
            for (int f = 0; f < KISIM_F; f++) {
                float v = in->last_raw[(size_t)i * KISIM_F + f];
                if (m->needs[f] && (v < m->ok_lo[f] || v > m->ok_hi[f])) {
                    snprintf(msg, cap,
                             "node %d: %s = %g is far outside its training range [%g, %g]", i,
                             kisim_features[f].name, v, m->ok_lo[f], m->ok_hi[f]);
                    return 1;
                }
            }
        return 0;
    }
    for (int i = 0; i < in->n; i++)
        for (int f = 0; f < KISIM_F; f++) {
            if (!in->avail[f]) continue;
            float d = in->last[(size_t)i * KISIM_F + f] - m->att.in_mean[f];
            if (fabsf(d) > FAR_MIN_SHARE && fabsf(d * m->att.in_inv[f]) > ATT_FAR_Z) {
                snprintf(msg, cap, "node %d: %s is %.1f standard deviations from its training mean",
                         i, kisim_features[f].name, fabsf(d * m->att.in_inv[f]));
                return 1;
            }
        }
    return 0;
}

/* (Re)allocates the scratch for this model and n nodes. */
static int scratch_fit(score_scratch *sc, const score_model *m, int n, int T)
{
    if (sc->model_id != m->id) {
        score_scratch_free(sc);
        sc->model_id = m->id;
    }
    if (m->link == SCORE_LINK_PPO) {
        if (!sc->pa.buf || sc->pa.n != n) {
            int err = ppo_acts_fit(&sc->pa, &m->ppo, 1, n);
            if (err) return err;
        }
        env_spaces sp;
        spaces_init(&sp, n, T);
        if ((size_t)sp.obs_dim > sc->obs_cap) {
            free(sc->obs);
            sc->obs = malloc((size_t)sp.obs_dim * sizeof *sc->obs);
            sc->obs_cap = sc->obs ? (size_t)sp.obs_dim : 0;
            if (!sc->obs) return kisim_seterr(KISIM_ENOMEM, "score: out of memory");
        }
        return 0;
    }
    if (sc->aa.buf && sc->aa.cap_n < n) att_acts_free(&sc->aa);
    if (!sc->aa.buf) {
        int cap = 16;
        while (cap < n)
            cap *= 2;
        return att_acts_alloc_infer(&sc->aa, &m->att, cap); /* memory grows with n, not n^2 */
    }
    return 0;
}

static int run_ppo(const score_model *m, score_scratch *sc, const score_input *in, int *score,
                   float *conf)
{
    int n = in->n, T = in->T;
    env_spaces sp;
    spaces_init(&sp, n, T);
    float *obs = sc->obs;
    memcpy(obs + sp.off_nodes, in->nodes, (size_t)n * T * KISIM_F * sizeof *obs);
    memcpy(obs + sp.off_pod, in->pod, KISIM_P * sizeof *obs);
    memset(obs + sp.off_service, 0,
           KISIM_S * sizeof *obs); /* the scale head's input, unused here */
    for (int i = 0; i < n; i++)
        obs[sp.off_node_mask + i] = 1;
    memcpy(obs + sp.off_availability, in->avail, KISIM_F * sizeof *obs);
    /* Workers share the model: with the normaliser frozen, forward only reads it. */
    ppo_forward_nodes((ppo_model *)&m->ppo, &sc->pa, obs, NULL, 1, T);
    const float *lp = sc->pa.logp_node;
    float pmax = 0;
    double H = 0;
    for (int i = 0; i < n; i++) {
        float p = expf(lp[i]);
        if (!isfinite(p))
            return kisim_seterr(KISIM_EINTERNAL, "ppo: a node's probability is not finite");
        if (p > pmax) pmax = p;
        if (p > 0) H -= p * (double)lp[i];
    }
    if (!(pmax > 0)) return kisim_seterr(KISIM_EINTERNAL, "ppo: every node has probability 0");
    for (int i = 0; i < n; i++) {
        float s = roundf(100.0f * expf(lp[i]) / pmax);
        score[i] = s < 0 ? 0 : s > 100 ? 100 : (int)s;
    }
    float c = n > 1 ? (float)(1.0 - H / log((double)n)) : 1.0f;
    for (int i = 0; i < n; i++)
        conf[i] = c < 0 ? 0 : c > 1 ? 1 : c;
    return 0;
}

static int run_attention(const score_model *m, score_scratch *sc, const score_input *in, int *score,
                         float *conf)
{
    att_infer(&m->att, &sc->aa, in->nodes, in->n, in->T, in->avail, NULL, in->pod);
    for (int i = 0; i < in->n; i++) {
        float s = sc->aa.score[i], c = sc->aa.conf[i];
        if (!isfinite(s) || !isfinite(c))
            return kisim_seterr(KISIM_EINTERNAL, "attention: node %d's score is not finite", i);
        s = roundf(s);
        score[i] = s < 0 ? 0 : s > 100 ? 100 : (int)s;
        conf[i] = c < 0 ? 0 : c > 1 ? 1 : c;
    }
    return 0;
}

int score_model_run(const score_model *m, score_scratch *sc, const score_input *in, int *score,
                    float *conf)
{
    int err = scratch_fit(sc, m, in->n, in->T);
    if (err) return err;
    return m->link == SCORE_LINK_PPO ? run_ppo(m, sc, in, score, conf)
                                     : run_attention(m, sc, in, score, conf);
}

void score_scratch_free(score_scratch *sc)
{
    if (sc->pa.buf) ppo_acts_free(&sc->pa);
    if (sc->aa.buf) att_acts_free(&sc->aa);
    free(sc->obs);
    memset(sc, 0, sizeof *sc);
}
