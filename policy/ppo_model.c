/* ppo_model.c: the two PPO actor-critics (ppo_model.h): their tensor tables, initialisation and
 * activation buffers, and the dispatch of forward/backward to ppo_mlp.c and ppo_cluster.c. */
#include "policy/ppo_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigbuf.h"
#include "common/err.h"
#include "common/features.h"
#include "policy/nn.h"
#include "policy/ppo_internal.h"
#include "spaces/spaces.h"

const char *ppo_model_kind_name(ppo_model_kind k)
{
    return k == PPO_MODEL_MLP ? "ppo-mlp" : "ppo-cluster";
}

/* Declares a weight [out, in] and its bias [out]; records their indices. */
static void layer(ppo_model *m, int w_idx, int b_idx, const char *name, int out, int in)
{
    char n[NN_NAME_LEN];
    snprintf(n, sizeof n, "%s.weight", name);
    m->ti[w_idx] = nn_params_add(&m->p, n, 2, out, in);
    if (b_idx >= 0) {
        snprintf(n, sizeof n, "%s.bias", name);
        m->ti[b_idx] = nn_params_add(&m->p, n, 1, out, 0);
    }
}

static void init_weights(ppo_model *m, const int *w_idx, const float *gain, int n, uint64_t seed)
{
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n; i++) {
        const nn_tensor *t = &m->p.t[m->ti[w_idx[i]]];
        nn_orthogonal(nn_param(&m->p, m->ti[w_idx[i]]), t->shape[0], t->shape[1], gain[i], &r);
    }
}

int ppo_model_init_mlp(ppo_model *m, int obs_dim, int n_actions, int hidden, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->kind = PPO_MODEL_MLP;
    m->obs_dim = obs_dim;
    m->n_actions = n_actions;
    m->hidden = hidden;
    int H = hidden;
    layer(m, MLP_A1W, MLP_A1B, "actor.0", H, obs_dim);
    layer(m, MLP_A2W, MLP_A2B, "actor.1", H, H);
    layer(m, MLP_A3W, MLP_A3B, "actor.2", n_actions, H);
    layer(m, MLP_C1W, MLP_C1B, "critic.0", H, obs_dim);
    layer(m, MLP_C2W, MLP_C2B, "critic.1", H, H);
    layer(m, MLP_C3W, MLP_C3B, "critic.2", 1, H);
    int err = nn_params_alloc(&m->p);
    if (!err) err = obsnorm_init(&m->norm, obs_dim);
    if (err) {
        ppo_model_free(m);
        return err;
    }
    const int w[] = {MLP_A1W, MLP_A2W, MLP_A3W, MLP_C1W, MLP_C2W, MLP_C3W};
    const float g[] = {(float)M_SQRT2, (float)M_SQRT2, 0.01f, (float)M_SQRT2, (float)M_SQRT2, 1};
    init_weights(m, w, g, 6, seed);
    return 0;
}

int ppo_model_init_cluster(ppo_model *m, int hidden, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    m->kind = PPO_MODEL_CLUSTER;
    m->hidden = hidden;
    int H = hidden, X = CLUSTER_X, CTX_U = 2 * H + KISIM_P, CTX_S = 2 * H + KISIM_S + KISIM_P;
    layer(m, CL_EW, CL_EB, "actor.encoder", H, X);
    layer(m, CL_NW, -1, "actor.node", H, H);
    layer(m, CL_UW, CL_UB, "actor.context", H, CTX_U);
    layer(m, CL_OW, CL_OB, "actor.node_head", 1, H);
    layer(m, CL_S1W, CL_S1B, "actor.scale", H, CTX_S);
    layer(m, CL_S2W, CL_S2B, "actor.scale_head", 3, H);
    layer(m, CL_CEW, CL_CEB, "critic.encoder", H, X);
    layer(m, CL_C1W, CL_C1B, "critic.0", H, CTX_S);
    layer(m, CL_C2W, CL_C2B, "critic.1", H, H);
    layer(m, CL_CVW, CL_CVB, "critic.value_head", 1, H);
    int err = nn_params_alloc(&m->p);
    if (!err) err = obsnorm_init(&m->norm, X);
    if (!err) err = obsnorm_init(&m->norm_ctx, KISIM_P + KISIM_S);
    if (err) {
        ppo_model_free(m);
        return err;
    }
    const float s2 = (float)M_SQRT2;
    const int w[] = {CL_EW, CL_NW, CL_UW, CL_OW, CL_S1W, CL_S2W, CL_CEW, CL_C1W, CL_C2W, CL_CVW};
    const float g[] = {s2, s2, s2, 0.01f, s2, 0.01f, s2, s2, s2, 1};
    init_weights(m, w, g, 10, seed);
    return 0;
}

void ppo_model_free(ppo_model *m)
{
    nn_params_free(&m->p);
    obsnorm_free(&m->norm);
    obsnorm_free(&m->norm_ctx);
}

/* Carves `count` floats out of the activation buffer (only counts while buf is NULL). */
static float *take(ppo_acts *a, size_t count)
{
    float *p = a->buf ? a->buf + a->size : NULL;
    a->size += count;
    return p;
}

/* nn_linear_infer's scratch for the largest of ppo-cluster's node-head layers. */
static size_t infer_floats(int B, int N, int H)
{
    size_t k[4] = {nn_linear_infer_floats(B * N, CLUSTER_X, H), nn_linear_infer_floats(B * N, H, H),
                   nn_linear_infer_floats(B * N, H, 1),
                   nn_linear_infer_floats(B, 2 * H + KISIM_P, H)};
    size_t m = 0;
    for (int i = 0; i < 4; i++)
        m = k[i] > m ? k[i] : m;
    return m;
}

/* Lays out the buffers; with a->buf NULL it only counts. Ints and bytes live in float slots. */
static void layout(ppo_acts *a, const ppo_model *m)
{
    size_t B = (size_t)a->cap_b, N = (size_t)a->n, H = (size_t)m->hidden;
    a->size = 0;
    if (m->kind == PPO_MODEL_MLP) {
        size_t A = (size_t)m->n_actions;
        a->x = take(a, B * (size_t)m->obs_dim);
        a->e = take(a, B * H); /* actor layer 1 */
        a->a = take(a, B * H); /* actor layer 2 */
        a->z = take(a, B * A); /* logits */
        a->logp_node = take(a, B * A);
        a->ec = take(a, B * H); /* critic layer 1 */
        a->h2 = take(a, B * H); /* critic layer 2 */
        a->value = take(a, B);
        a->node_mask = (uint8_t *)take(a, (B * A + 3) / 4);
        return;
    }
    size_t X = CLUSTER_X, P = KISIM_P, S = KISIM_S;
    a->x = take(a, B * N * X);
    a->ctx = take(a, B * (P + S));
    a->e = take(a, B * N * H);
    a->mean = take(a, B * H);
    a->max = take(a, B * H);
    a->ucat = take(a, B * (2 * H + P));
    a->u = take(a, B * H);
    a->a = take(a, B * N * H);
    a->z = take(a, B * N);
    a->logp_node = take(a, B * N);
    a->scat = take(a, B * (2 * H + S + P));
    a->s = take(a, B * H);
    a->sl = take(a, B * 3);
    a->logp_scale = take(a, B * 3);
    a->ec = take(a, B * N * H);
    a->cmean = take(a, B * H);
    a->cmax = take(a, B * H);
    a->ccat = take(a, B * (2 * H + S + P));
    a->h1 = take(a, B * H);
    a->h2 = take(a, B * H);
    a->value = take(a, B);
    a->amax = (int *)take(a, B * H);
    a->camax = (int *)take(a, B * H);
    a->infer = take(a, infer_floats((int)B, (int)N, (int)H));
    a->node_mask = (uint8_t *)take(a, (B * N + 3) / 4);
    a->scale_mask = (uint8_t *)take(a, (B * 3 + 3) / 4);
}

int ppo_acts_alloc(ppo_acts *a, const ppo_model *m, int cap_b, int n_nodes)
{
    memset(a, 0, sizeof *a);
    a->cap_b = cap_b;
    a->n = m->kind == PPO_MODEL_MLP ? 1 : n_nodes;
    layout(a, m); /* count */
    size_t fwd = a->size;
    /* The forward region, then a gradient region of the same layout (grad_of()). */
    a->buf = bigbuf_calloc(2 * fwd, sizeof(float));
    if (!a->buf) return kisim_seterr(KISIM_ENOMEM, "model: out of memory for activations");
    a->cap_floats = 2 * fwd;
    layout(a, m);
    return 0;
}

int ppo_acts_fit(ppo_acts *a, const ppo_model *m, int cap_b, int n_nodes)
{
    if (!a->buf) return ppo_acts_alloc(a, m, cap_b, n_nodes);
    float *buf = a->buf;
    int old_b = a->cap_b, old_n = a->n;
    a->buf = NULL;
    a->cap_b = cap_b;
    a->n = m->kind == PPO_MODEL_MLP ? 1 : n_nodes;
    layout(a, m); /* count */
    a->buf = buf;
    if (2 * a->size <= a->cap_floats) {
        layout(a, m);
        return 0;
    }
    a->cap_b = old_b, a->n = old_n;
    ppo_acts_free(a);
    return ppo_acts_alloc(a, m, cap_b, n_nodes);
}

void ppo_acts_free(ppo_acts *a)
{
    free(a->buf);
    a->buf = NULL;
}

void ppo_forward(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *action_mask, int B,
                 int window)
{
    a->B = B;
    if (m->kind == PPO_MODEL_MLP)
        ppo__mlp_forward(m, a, obs, action_mask, B);
    else
        ppo__cluster_forward(m, a, obs, action_mask, B, window, 0);
}

void ppo_forward_nodes(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *action_mask,
                       int B, int window)
{
    a->B = B;
    if (m->kind == PPO_MODEL_MLP)
        ppo__mlp_forward(m, a, obs, action_mask, B);
    else
        ppo__cluster_forward(m, a, obs, action_mask, B, window, 1);
}

void ppo_backward(ppo_model *m, ppo_acts *a, const int32_t *actions, const float *g_logp,
                  const float *g_ent, const float *g_v)
{
    memset(a->buf + a->size, 0, a->size * sizeof(float));
    if (m->kind == PPO_MODEL_MLP)
        ppo__mlp_backward(m, a, actions, g_logp, g_ent, g_v);
    else
        ppo__cluster_backward(m, a, actions, g_logp, g_ent, g_v);
}

float ppo_logprob(const ppo_model *m, const ppo_acts *a, int b, const int32_t *action)
{
    if (m->kind == PPO_MODEL_MLP) return a->logp_node[(size_t)b * m->n_actions + action[0]];
    return a->logp_node[(size_t)b * a->n + action[0]] + a->logp_scale[(size_t)b * 3 + action[1]];
}

float ppo_entropy(const ppo_model *m, const ppo_acts *a, int b)
{
    if (m->kind == PPO_MODEL_MLP)
        return nn_entropy(a->logp_node + (size_t)b * m->n_actions,
                          a->node_mask ? a->node_mask + (size_t)b * m->n_actions : NULL,
                          m->n_actions);
    return nn_entropy(a->logp_node + (size_t)b * a->n, a->node_mask + (size_t)b * a->n, a->n) +
           nn_entropy(a->logp_scale + (size_t)b * 3, a->scale_mask + (size_t)b * 3, 3);
}
