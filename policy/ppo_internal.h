/* ppo_internal.h: shared by ppo_model.c, ppo_mlp.c and ppo_cluster.c: the tensor indices of
 * each model, the cluster model's input width, and the gradient region of the activations. */
#ifndef KISIM_PPO_INTERNAL_H
#define KISIM_PPO_INTERNAL_H

#include "common/features.h"
#include "policy/ppo_model.h"

/* Per node: mean over the window, last sample, availability. */
#define CLUSTER_X (3 * KISIM_F)

enum {
    MLP_A1W,
    MLP_A1B,
    MLP_A2W,
    MLP_A2B,
    MLP_A3W,
    MLP_A3B,
    MLP_C1W,
    MLP_C1B,
    MLP_C2W,
    MLP_C2B,
    MLP_C3W,
    MLP_C3B
};
enum {
    CL_EW,
    CL_EB,
    CL_NW,
    CL_UW,
    CL_UB,
    CL_OW,
    CL_OB,
    CL_S1W,
    CL_S1B,
    CL_S2W,
    CL_S2B,
    CL_CEW,
    CL_CEB,
    CL_C1W,
    CL_C1B,
    CL_C2W,
    CL_C2B,
    CL_CVW,
    CL_CVB
};

/* The gradient of an activation buffer: the same offset in the second half of a->buf. */
#define GRAD(a, ptr) ((ptr) + (a)->size)
#define W(m, i) nn_param(&(m)->p, (m)->ti[i])
#define DW(m, i) nn_grad(&(m)->p, (m)->ti[i])

/* dx *= 1 - y^2: turns the gradient of tanh's output into that of its input, in place. */
static inline void ppo__dtanh(float *dx, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dx[i] *= 1.0f - y[i] * y[i];
}

void ppo__mlp_forward(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *mask, int B);
void ppo__mlp_backward(ppo_model *m, ppo_acts *a, const int32_t *actions, const float *g_logp,
                       const float *g_ent, const float *g_v);
void ppo__cluster_forward(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *mask, int B,
                          int window, int node_head_only);
void ppo__cluster_backward(ppo_model *m, ppo_acts *a, const int32_t *actions, const float *g_logp,
                           const float *g_ent, const float *g_v);

#endif
