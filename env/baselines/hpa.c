/* hpa.c: the Kubernetes HorizontalPodAutoscaler rule, which sets the replica count of every
 * baseline scorer (baselines only place pods). */
#include <math.h>

#include "env/baselines/baseline.h"

/* Slack for ratios that decimal inputs put one rounding error off a boundary: 0.77 / 0.7 is
 * 1.1000000000000001 in doubles and 0.14 / 0.7 * 10 is 2.0000000000000004. Without it 77% of a 70%
 * target would scale (outside the 10% tolerance by 1e-16) and ceil() would add a replica. */
#define HPA_EPS 1e-9

static int clamp_replicas(int n, const service_view *sv)
{
    if (n > sv->max_replicas) n = sv->max_replicas;
    if (n < sv->min_replicas) n = sv->min_replicas;
    return n;
}

/* As the HPA controller: within tolerance keep the current count, else
 * ceil(usageRatio * currentReplicas) (replica_calculator.go), then clamp to [min, max]
 * (normalizeDesiredReplicas). A target <= 0 or a non-finite utilisation gives no signal, so the
 * count only gets clamped. */
int hpa_desired(const service_view *sv)
{
    int current = sv->replicas;
    double ratio = sv->cpu_utilization / sv->hpa_target;
    if (!(sv->hpa_target > 0) || !isfinite(ratio)) return clamp_replicas(current, sv);
    if (fabs(ratio - 1) <= sv->hpa_tolerance + HPA_EPS) return clamp_replicas(current, sv);
    double desired = ceil(ratio * current - HPA_EPS);
    if (desired > sv->max_replicas) return clamp_replicas(sv->max_replicas, sv);
    return clamp_replicas((int)desired, sv);
}

/* A NULL scale_mask allows every scale action. */
int hpa_scale_action(const service_view *sv, const uint8_t *scale_mask)
{
    int desired = hpa_desired(sv);
    if (desired > sv->replicas && (!scale_mask || scale_mask[2])) return 2;
    if (desired < sv->replicas && (!scale_mask || scale_mask[0])) return 0;
    return 1;
}
