/* obsnorm.h: observation normalisation with running statistics (the RunningMeanStd of Gym's
 * NormalizeObservation: parallel-merged mean and variance, initial count 1e-4, normalised values
 * (x - mean) / sqrt(var + 1e-8) clipped to [-10, 10]). One statistic per input channel. */
#ifndef KISIM_OBSNORM_H
#define KISIM_OBSNORM_H

typedef struct {
    int n;
    double count;
    double *mean, *var;  /* [n] owned */
    float *fmean, *finv; /* [n] owned: mean and 1/sqrt(var + 1e-8) as floats, for apply */
} obsnorm;

/* Recomputes fmean/finv from mean/var (after loading statistics from a file). */
void obsnorm_sync(obsnorm *o);

int obsnorm_init(obsnorm *o, int n);
void obsnorm_free(obsnorm *o);
/* Merges `rows` rows of n values (row-major) into the statistics. */
void obsnorm_update(obsnorm *o, const float *x, int rows);
/* Normalises rows in place. */
void obsnorm_apply(const obsnorm *o, float *x, int rows);

#endif
