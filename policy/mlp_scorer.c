/* mlp_scorer.c: the MLP scorer's forward, backward and checkpoint (mlp_scorer.h). */
#include "policy/mlp_scorer.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "policy/ckpt.h"
#include "policy/nn.h"
#include "spaces/spaces.h"

enum { L1W, L1B, L2W, L2B, L3W, L3B };

int mlp_scorer_init(mlp_scorer *m, int H1, int H2, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    if (H1 < 1 || H2 < 1)
        return kisim_seterr(KISIM_EINPUT, "mlp scorer: hidden widths %d, %d must be positive", H1,
                            H2);
    m->H1 = H1, m->H2 = H2;
    nn_params_add(&m->p, "fc1.weight", 2, H1, MLP_IN);
    nn_params_add(&m->p, "fc1.bias", 1, H1, 0);
    nn_params_add(&m->p, "fc2.weight", 2, H2, H1);
    nn_params_add(&m->p, "fc2.bias", 1, H2, 0);
    nn_params_add(&m->p, "out.weight", 2, 2, H2);
    nn_params_add(&m->p, "out.bias", 1, 2, 0);
    int err = nn_params_alloc(&m->p);
    if (err) return err;
    rng r;
    rng_seed(&r, seed);
    nn_orthogonal(nn_param(&m->p, L1W), H1, MLP_IN, (float)M_SQRT2, &r);
    nn_orthogonal(nn_param(&m->p, L2W), H2, H1, (float)M_SQRT2, &r);
    nn_orthogonal(nn_param(&m->p, L3W), 2, H2, 0.1f, &r);
    for (int f = 0; f < KISIM_F; f++)
        m->in_mean[f] = 0, m->in_inv[f] = 1;
    return 0;
}

void mlp_scorer_free(mlp_scorer *m)
{
    nn_params_free(&m->p);
}

int mlp_acts_alloc(mlp_acts *a, const mlp_scorer *m, int cap_n)
{
    memset(a, 0, sizeof *a);
    size_t N = (size_t)cap_n;
    a->cap_n = cap_n;
    a->size = N * (MLP_IN + (size_t)m->H1 + (size_t)m->H2 + 4);
    a->buf = calloc(2 * a->size, sizeof(float)); /* activations, then their gradients */
    if (!a->buf) return kisim_seterr(KISIM_ENOMEM, "mlp scorer: out of memory");
    a->x = a->buf;
    a->h1 = a->x + N * MLP_IN;
    a->h2 = a->h1 + N * (size_t)m->H1;
    a->logits = a->h2 + N * (size_t)m->H2;
    a->score = a->logits + 2 * N;
    a->conf = a->score + N;
    return 0;
}

void mlp_acts_free(mlp_acts *a)
{
    free(a->buf);
    a->buf = NULL;
}

void mlp_scorer_forward(const mlp_scorer *m, mlp_acts *a, const float *nodes, int n, int T,
                        const float *avail, const uint8_t *mask, const float *pod)
{
    (void)mask;
    int F = KISIM_F;
    a->n = n;
    for (int i = 0; i < n; i++) {
        float *x = a->x + (size_t)i * MLP_IN;
        for (int f = 0; f < F; f++) {
            float s = 0, av = avail ? avail[f] : 1.0f;
            for (int t = 0; t < T; t++)
                s += nodes[((size_t)i * T + t) * F + f];
            x[f] = (s / T - m->in_mean[f]) * m->in_inv[f] * av;
        }
        memcpy(x + F, pod, KISIM_P * sizeof *x);
    }
    nn_linear_forward(a->h1, a->x, nn_param(&m->p, L1W), nn_param(&m->p, L1B), n, MLP_IN, m->H1);
    nn_relu_forward(a->h1, a->h1, (size_t)n * m->H1);
    nn_linear_forward(a->h2, a->h1, nn_param(&m->p, L2W), nn_param(&m->p, L2B), n, m->H1, m->H2);
    nn_relu_forward(a->h2, a->h2, (size_t)n * m->H2);
    nn_linear_forward(a->logits, a->h2, nn_param(&m->p, L3W), nn_param(&m->p, L3B), n, m->H2, 2);
    for (int i = 0; i < n; i++) {
        a->score[i] = 100.0f / (1.0f + expf(-a->logits[2 * i]));
        a->conf[i] = 1.0f / (1.0f + expf(-a->logits[2 * i + 1]));
    }
}

/* dx *= (y > 0), in place: the gradient through a relu whose output is y. */
static void drelu(float *dx, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] = y[i] > 0 ? dx[i] : 0;
}

void mlp_scorer_backward(mlp_scorer *m, mlp_acts *a, const float *dlogits)
{
    int n = a->n;
    memset(a->buf + a->size, 0, a->size * sizeof(float));
    float *dh2 = a->h2 + a->size, *dh1 = a->h1 + a->size;
    nn_linear_backward(dh2, nn_grad(&m->p, L3W), nn_grad(&m->p, L3B), dlogits, a->h2,
                       nn_param(&m->p, L3W), n, m->H2, 2);
    drelu(dh2, a->h2, (size_t)n * m->H2);
    nn_linear_backward(dh1, nn_grad(&m->p, L2W), nn_grad(&m->p, L2B), dh2, a->h1,
                       nn_param(&m->p, L2W), n, m->H1, m->H2);
    drelu(dh1, a->h1, (size_t)n * m->H1);
    nn_linear_backward(NULL, nn_grad(&m->p, L1W), nn_grad(&m->p, L1B), dh1, a->x,
                       nn_param(&m->p, L1W), n, MLP_IN, m->H1);
}

int mlp_scorer_save(const mlp_scorer *m, const char *path, const char *extra)
{
    ckpt c;
    memset(&c, 0, sizeof c);
    int err = nn_params_to_ckpt(&m->p, &c);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddNumberToObject(h, "h1", m->H1);
    cJSON_AddNumberToObject(h, "h2", m->H2);
    cJSON_AddNumberToObject(h, "inputs", MLP_IN);
    return ckpt_write_scorer(&c, err, "mlp-scorer", h, extra, m->in_mean, m->in_inv, path);
}

int mlp_scorer_load(mlp_scorer *m, const char *path)
{
    memset(m, 0, sizeof *m);
    ckpt c;
    int err = ckpt_read(&c, path, "mlp-scorer");
    if (err) return err;
    cJSON *h = cJSON_Parse(c.hyperparameters);
    const cJSON *h1 = cJSON_GetObjectItemCaseSensitive(h, "h1");
    const cJSON *h2 = cJSON_GetObjectItemCaseSensitive(h, "h2");
    if (!cJSON_IsNumber(h1) || !cJSON_IsNumber(h2) || h1->valuedouble < 1 || h2->valuedouble < 1 ||
        h1->valuedouble > 1e5 || h2->valuedouble > 1e5)
        err = kisim_seterr(KISIM_EINPUT,
                           "checkpoint %s: hyperparameters lack valid \"h1\" and "
                           "\"h2\"",
                           path);
    if (!err) err = mlp_scorer_init(m, (int)h1->valuedouble, (int)h2->valuedouble, 0);
    cJSON_Delete(h);
    if (!err) err = nn_params_from_ckpt(&m->p, &c, path);
    if (!err) err = ckpt_copy(&c, "input.mean", CKPT_F32, KISIM_F, m->in_mean, path);
    if (!err) err = ckpt_copy(&c, "input.inv_std", CKPT_F32, KISIM_F, m->in_inv, path);
    if (err) mlp_scorer_free(m);
    ckpt_free(&c);
    return err;
}
