/* score_fixture.h: model files for the scoring service's tests and benchmark, built with the
 * policy API instead of committed binaries: a ppo-cluster and an attention-scorer checkpoint of
 * realistic shapes with freshly initialised weights (their scores are not meaningful; their
 * cost, formats, versions and the service's handling of them are). */
#ifndef KISIM_SCORE_FIXTURE_H
#define KISIM_SCORE_FIXTURE_H

#include <stdint.h>

/* A ppo-cluster checkpoint (hidden units H, weights from seed) at path. feature_stats: the
 * metadata JSON, or NULL for every feature over its whole normalisation range. */
int score_fixture_ppo(const char *path, int hidden, uint64_t seed, const char *feature_stats);
/* An attention-scorer checkpoint (width D, feed-forward 2D, head D/2: fit-scorer's shapes) at path;
 * inputs standardised with mean 0.5 and inv_std 4 (the normalised range as +-2 standard
 * deviations). */
int score_fixture_attention(const char *path, int D, uint64_t seed);

#endif
