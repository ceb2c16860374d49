/* params.h: a model's tensors in single buffers (llm.c style): parameters, gradients and Adam's
 * two moments each live in one allocation split by a table of named, shaped tensors, so zeroing
 * the gradients is one memset, the optimiser one loop and a checkpoint one table walk. */
#ifndef KISIM_PARAMS_H
#define KISIM_PARAMS_H

#include <stddef.h>

#include "policy/ckpt.h"

#define NN_MAX_TENSORS 64 /* the attention scorer has 52 */
#define NN_NAME_LEN 48

typedef struct {
    char name[NN_NAME_LEN];
    int ndim;
    int shape[4];
    size_t offset, size; /* in floats */
} nn_tensor;

typedef struct {
    nn_tensor t[NN_MAX_TENSORS];
    int n;
    size_t total;                  /* floats in each buffer */
    float *params, *grads, *m, *v; /* [total] each, owned */
} nn_params;

/* Declares a tensor (before nn_params_alloc); returns its index. */
int nn_params_add(nn_params *p, const char *name, int ndim, int d0, int d1);
/* Allocates the four zeroed buffers. KISIM_ENOMEM on failure. */
int nn_params_alloc(nn_params *p);
void nn_params_free(nn_params *p);
static inline float *nn_param(const nn_params *p, int i)
{
    return p->params + p->t[i].offset;
}
static inline float *nn_grad(const nn_params *p, int i)
{
    return p->grads + p->t[i].offset;
}
/* Index of a tensor by name, or -1. */
int nn_params_find(const nn_params *p, const char *name);

/* Adds every parameter tensor to a checkpoint being written (F32, by table name; data borrowed
 * until ckpt_write). */
int nn_params_to_ckpt(const nn_params *p, ckpt *c);
/* Fills every parameter tensor from a checkpoint (by table name, F32, exact size). */
int nn_params_from_ckpt(nn_params *p, const ckpt *c, const char *path);

#endif
