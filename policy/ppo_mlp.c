/* ppo_mlp.c: ppo-mlp's forward and backward: actor x -> 64 tanh -> 64 tanh -> logits, critic
 * x -> 64 tanh -> 64 tanh -> value, both on the normalised observation. */
#include <string.h>

#include "policy/nn.h"
#include "policy/ppo_internal.h"

void ppo__mlp_forward(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *mask, int B)
{
    int D = m->obs_dim, H = m->hidden, A = m->n_actions;
    memcpy(a->x, obs, (size_t)B * D * sizeof *a->x);
    if (!m->norm_frozen) obsnorm_update(&m->norm, a->x, B);
    obsnorm_apply(&m->norm, a->x, B);
    for (size_t i = 0; i < (size_t)B * A; i++)
        a->node_mask[i] = mask ? mask[i] != 0 : 1;
    nn_linear_forward(a->e, a->x, W(m, MLP_A1W), W(m, MLP_A1B), B, D, H);
    nn_tanh_forward(a->e, a->e, (size_t)B * H);
    nn_linear_forward(a->a, a->e, W(m, MLP_A2W), W(m, MLP_A2B), B, H, H);
    nn_tanh_forward(a->a, a->a, (size_t)B * H);
    nn_linear_forward(a->z, a->a, W(m, MLP_A3W), W(m, MLP_A3B), B, H, A);
    nn_log_softmax_forward(a->logp_node, a->z, a->node_mask, B, A);
    nn_linear_forward(a->ec, a->x, W(m, MLP_C1W), W(m, MLP_C1B), B, D, H);
    nn_tanh_forward(a->ec, a->ec, (size_t)B * H);
    nn_linear_forward(a->h2, a->ec, W(m, MLP_C2W), W(m, MLP_C2B), B, H, H);
    nn_tanh_forward(a->h2, a->h2, (size_t)B * H);
    nn_linear_forward(a->value, a->h2, W(m, MLP_C3W), W(m, MLP_C3B), B, H, 1);
}

void ppo__mlp_backward(ppo_model *m, ppo_acts *a, const int32_t *actions, const float *g_logp,
                       const float *g_ent, const float *g_v)
{
    int B = a->B, D = m->obs_dim, H = m->hidden, A = m->n_actions;
    float *dlogp = GRAD(a, a->logp_node), *dz = GRAD(a, a->z);
    for (int b = 0; b < B; b++) {
        dlogp[(size_t)b * A + actions[2 * b]] = g_logp[b];
        nn_entropy_backward(dz + (size_t)b * A, g_ent[b], a->logp_node + (size_t)b * A,
                            a->node_mask + (size_t)b * A, A);
    }
    nn_log_softmax_backward(dz, dlogp, a->logp_node, a->node_mask, B, A);
    float *da = GRAD(a, a->a), *de = GRAD(a, a->e);
    nn_linear_backward(da, DW(m, MLP_A3W), DW(m, MLP_A3B), dz, a->a, W(m, MLP_A3W), B, H, A);
    ppo__dtanh(da, a->a, (size_t)B * H);
    nn_linear_backward(de, DW(m, MLP_A2W), DW(m, MLP_A2B), da, a->e, W(m, MLP_A2W), B, H, H);
    ppo__dtanh(de, a->e, (size_t)B * H);
    nn_linear_backward(NULL, DW(m, MLP_A1W), DW(m, MLP_A1B), de, a->x, W(m, MLP_A1W), B, D, H);

    float *dh2 = GRAD(a, a->h2), *dec = GRAD(a, a->ec);
    nn_linear_backward(dh2, DW(m, MLP_C3W), DW(m, MLP_C3B), g_v, a->h2, W(m, MLP_C3W), B, H, 1);
    ppo__dtanh(dh2, a->h2, (size_t)B * H);
    nn_linear_backward(dec, DW(m, MLP_C2W), DW(m, MLP_C2B), dh2, a->ec, W(m, MLP_C2W), B, H, H);
    ppo__dtanh(dec, a->ec, (size_t)B * H);
    nn_linear_backward(NULL, DW(m, MLP_C1W), DW(m, MLP_C1B), dec, a->x, W(m, MLP_C1W), B, D, H);
}
