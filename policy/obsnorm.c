/* obsnorm.c: running mean and variance by the parallel (Chan et al.) merge. */
#include "policy/obsnorm.h"

#include <math.h>
#include <stdlib.h>

#include "common/err.h"

int obsnorm_init(obsnorm *o, int n)
{
    o->n = n;
    o->count = 1e-4;
    o->mean = calloc((size_t)n, sizeof *o->mean);
    o->var = malloc((size_t)n * sizeof *o->var);
    o->fmean = malloc((size_t)n * sizeof *o->fmean);
    o->finv = malloc((size_t)n * sizeof *o->finv);
    if (!o->mean || !o->var || !o->fmean || !o->finv) {
        obsnorm_free(o);
        return kisim_seterr(KISIM_ENOMEM, "obsnorm: out of memory");
    }
    for (int i = 0; i < n; i++)
        o->var[i] = 1;
    obsnorm_sync(o);
    return 0;
}

void obsnorm_sync(obsnorm *o)
{
    for (int c = 0; c < o->n; c++) {
        o->fmean[c] = (float)o->mean[c];
        o->finv[c] = (float)(1.0 / sqrt(o->var[c] + 1e-8));
    }
}

void obsnorm_free(obsnorm *o)
{
    free(o->mean);
    free(o->var);
    free(o->fmean);
    free(o->finv);
    o->mean = o->var = NULL;
    o->fmean = o->finv = NULL;
}

void obsnorm_update(obsnorm *o, const float *x, int rows)
{
    if (rows <= 0) return;
    for (int c = 0; c < o->n; c++) {
        double m = 0, v = 0;
        for (int r = 0; r < rows; r++)
            m += x[(size_t)r * o->n + c];
        m /= rows;
        for (int r = 0; r < rows; r++) {
            double d = x[(size_t)r * o->n + c] - m;
            v += d * d;
        }
        v /= rows;
        double delta = m - o->mean[c], tot = o->count + rows;
        o->mean[c] += delta * rows / tot;
        o->var[c] = (o->var[c] * o->count + v * rows + delta * delta * o->count * rows / tot) / tot;
    }
    o->count += rows;
    obsnorm_sync(o);
}

void obsnorm_apply(const obsnorm *o, float *x, int rows)
{
    for (int r = 0; r < rows; r++) {
        float *v = x + (size_t)r * o->n;
        for (int c = 0; c < o->n; c++) {
            float z = (v[c] - o->fmean[c]) * o->finv[c];
            v[c] = z < -10 ? -10 : z > 10 ? 10 : z;
        }
    }
}
