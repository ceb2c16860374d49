/* extender_metrics.h: the /metrics page, Prometheus text exposition format 0.0.4, from a
 * score_stats snapshot. Metric names, types, labels and help come from score.h's SCORE_METRICS
 * table, in its order; every label combination is printed, zeros included, so series never
 * appear from nowhere. */
#ifndef KISIM_EXTENDER_METRICS_H
#define KISIM_EXTENDER_METRICS_H

#include <stddef.h>

#include "scheduler/score.h"

/* The page for st into *out (malloc'ed, NUL-terminated, *len bytes). 0 or KISIM_ENOMEM. */
int extender_metrics_page(char **out, size_t *len, const score_stats *st);

#endif
