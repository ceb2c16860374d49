/* ppo_model.h: the PPO actor-critic models.
 *
 * ppo-mlp (CartPole and other flat observations): actor and critic are separate 64-64 tanh MLPs
 * over the normalised observation; one categorical head.
 *
 * ppo-cluster (the scheduling env, spaces.h layout): permutation-equivariant, so one policy
 * scores any number of nodes. Each node's input is its telemetry window pooled over time (mean
 * and last sample, F each) and the availability mask (F): X = 3F channels, normalised per
 * channel. The actor encodes every node with shared weights, e_i = tanh(W_e x_i), pools the
 * candidates into a cluster summary g = [mean_i e_i, max_i e_i], and scores node i with
 * w_o . tanh(W_n e_i + W_u [g, pod]): a masked softmax over nodes picks one. The scale head
 * reads [g, service, pod]. The critic has its own node encoder and pooling and a 64-64 tanh
 * MLP over [g_c, service, pod].
 *
 * Initialisation follows the PPO implementation details: orthogonal weights with gain sqrt(2),
 * 0.01 for the policy heads and 1 for the value head, zero biases. */
#ifndef KISIM_PPO_MODEL_H
#define KISIM_PPO_MODEL_H

#include <stdint.h>

#include "policy/obsnorm.h"
#include "policy/params.h"

typedef enum { PPO_MODEL_MLP, PPO_MODEL_CLUSTER } ppo_model_kind;

typedef struct {
    ppo_model_kind kind;
    int hidden;    /* H */
    int obs_dim;   /* mlp: observation size */
    int n_actions; /* mlp: categories of the one head */
    nn_params p;
    int ti[32];       /* tensor indices, by the model's own enum */
    obsnorm norm;     /* mlp: obs_dim channels; cluster: the 3F node channels */
    obsnorm norm_ctx; /* cluster: pod context then service state, P + S channels */
    int norm_frozen;  /* 1: forward does not update the statistics (evaluation) */
} ppo_model;

/* Activations and gradients of one forward/backward for up to `cap_b` rows and `n` nodes; owned
 * by the caller, sized by ppo_acts_alloc. */
typedef struct {
    int cap_b, n, B;
    float *buf;        /* one allocation, split below */
    size_t size;       /* floats in the forward region (the gradient region follows) */
    size_t cap_floats; /* floats allocated */
    /* outputs of ppo_forward, valid for B rows */
    float *logp_node;    /* [B, N] (mlp: [B, n_actions]) */
    float *logp_scale;   /* [B, 3] (cluster only) */
    float *value;        /* [B] */
    uint8_t *node_mask;  /* [B, N] */
    uint8_t *scale_mask; /* [B, 3] */
    /* internals */
    float *x, *ctx, *e, *mean, *max, *ucat, *u, *a, *z, *scat, *s, *sl;
    float *ec, *cmean, *cmax, *ccat, *h1, *h2;
    int *amax, *camax;
    float *infer; /* ppo_forward_nodes' scratch for nn_linear_infer (cluster only) */
} ppo_acts;

/* ppo-mlp for obs_dim inputs and n_actions categories. */
int ppo_model_init_mlp(ppo_model *m, int obs_dim, int n_actions, int hidden, uint64_t seed);
/* ppo-cluster (feature counts from common/features.h and spaces/spaces.h). */
int ppo_model_init_cluster(ppo_model *m, int hidden, uint64_t seed);
void ppo_model_free(ppo_model *m);

int ppo_acts_alloc(ppo_acts *a, const ppo_model *m, int cap_b, int n_nodes);
void ppo_acts_free(ppo_acts *a);
/* Lays a out for cap_b rows and n_nodes nodes in its buffer when it is large enough, else
 * reallocates (a fresh a, buf NULL, is allocated): a scorer whose requests vary in size keeps one
 * buffer and its pages instead of a new allocation whenever n changes. */
int ppo_acts_fit(ppo_acts *a, const ppo_model *m, int cap_b, int n_nodes);

/* Forward for B rows of flat observations (mlp: [B, obs_dim]; cluster: the spaces.h layout for
 * n_nodes nodes and window T) and their action masks ([B, n_nodes + 3]; NULL = all allowed).
 * Unless the normaliser is frozen, the rows first update its statistics. */
void ppo_forward(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *action_mask, int B,
                 int window);
/* The node head only (logp_node), as scoring needs: ppo-cluster skips the scale head and the
 * critic, whose own per-node encoder costs as much as the actor's. No backward after it. */
void ppo_forward_nodes(ppo_model *m, ppo_acts *a, const float *obs, const uint8_t *action_mask,
                       int B, int window);
/* Backward of the last forward, accumulating into m->p.grads: g_logp[b] is dLoss/d(log-prob of
 * the chosen actions, summed over heads), g_ent[b] dLoss/d(entropy, summed over heads), g_v[b]
 * dLoss/d(value). actions [B, 2] (mlp: column 0 only). */
void ppo_backward(ppo_model *m, ppo_acts *a, const int32_t *actions, const float *g_logp,
                  const float *g_ent, const float *g_v);
/* Log-probability of actions and the entropy of row b's policy, from the last forward. */
float ppo_logprob(const ppo_model *m, const ppo_acts *a, int b, const int32_t *action);
float ppo_entropy(const ppo_model *m, const ppo_acts *a, int b);

const char *ppo_model_kind_name(ppo_model_kind k); /* "ppo-mlp", "ppo-cluster" */

#endif
