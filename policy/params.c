/* params.c: the tensor table and its buffers. */
#include "policy/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int nn_params_add(nn_params *p, const char *name, int ndim, int d0, int d1)
{
    if (p->n == NN_MAX_TENSORS) return -1;
    nn_tensor *t = &p->t[p->n];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim > 1 ? d1 : 1;
    t->size = (size_t)d0 * (size_t)(ndim > 1 ? d1 : 1);
    t->offset = p->total;
    p->total += t->size;
    return p->n++;
}

int nn_params_alloc(nn_params *p)
{
    p->params = calloc(p->total, sizeof(float));
    p->grads = calloc(p->total, sizeof(float));
    p->m = calloc(p->total, sizeof(float));
    p->v = calloc(p->total, sizeof(float));
    if (!p->params || !p->grads || !p->m || !p->v) {
        nn_params_free(p);
        return kisim_seterr(KISIM_ENOMEM, "model: out of memory for %zu parameters", p->total);
    }
    return 0;
}

void nn_params_free(nn_params *p)
{
    free(p->params);
    free(p->grads);
    free(p->m);
    free(p->v);
    p->params = p->grads = p->m = p->v = NULL;
}

int nn_params_find(const nn_params *p, const char *name)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->t[i].name, name) == 0) return i;
    return -1;
}

int nn_params_to_ckpt(const nn_params *p, ckpt *c)
{
    int err = 0;
    for (int i = 0; i < p->n && !err; i++) {
        const nn_tensor *t = &p->t[i];
        int64_t shape[2] = {t->shape[0], t->shape[1]};
        err = ckpt_add(c, t->name, CKPT_F32, t->ndim, shape, p->params + t->offset);
    }
    return err;
}

int nn_params_from_ckpt(nn_params *p, const ckpt *c, const char *path)
{
    int err = 0;
    for (int i = 0; i < p->n && !err; i++)
        err = ckpt_copy(c, p->t[i].name, CKPT_F32, p->t[i].size, nn_param(p, i), path);
    return err;
}
