/* reason.h: the one-line explanation of a node's score (internal to scheduler/).
 *
 * Method: the features that set the node apart from the other candidates. For each feature
 * measured on every candidate, the deviation of the node's newest sample from the candidates'
 * mean, both normalised to [0, 1] by the feature table's range (common/features.h); the two
 * largest deviations are named with the node's normalised value and (high) or (low), then the
 * verdict from the score: prefer (>= 67), avoid (<= 33), acceptable in between. With one
 * candidate, or when no deviation reaches 0.02, it says the node is like the others. This
 * explains what is unusual about the node, which is what the models score on; it does not
 * attribute the model's output to its inputs (no gradients are taken at serving time). */
#ifndef KISIM_REASON_H
#define KISIM_REASON_H

#include <stddef.h>

#include "scheduler/score_model.h"

/* mean [F] of in->last over the candidates. */
void reason_means(const score_input *in, float *mean);
/* "l3_cache_miss_rate 0.81 (high), memory_bandwidth_gbps 0.92 (high): avoid" for node i. */
void reason_write(char *out, size_t cap, const score_input *in, const float *mean, int i,
                  int score);

#endif
