/* score_names.c: the scoring service's name tables (score.h's X-macros): links, verbs,
 * fallback reasons, metrics and latency buckets. Apart from score.c so the BatchScore parser's
 * fuzz target links without the service. */
#include "scheduler/score.h"

const double score_latency_bounds[SCORE_N_BUCKETS] = {
#define SCORE__BOUND(x) x,
    SCORE_LATENCY_BUCKETS(SCORE__BOUND)
#undef SCORE__BOUND
};

const score_metric_info score_metrics[SCORE_N_METRICS] = {
#define SCORE__MINFO(id, name, type, labels, help) {name, type, labels, help},
    SCORE_METRICS(SCORE__MINFO)
#undef SCORE__MINFO
};

static const char *const link_names[SCORE_N_LINKS] = {
#define SCORE__LNAME(id, name) name,
    SCORE_LINKS(SCORE__LNAME)
#undef SCORE__LNAME
};
static const char *const verb_names[SCORE_N_VERBS] = {
#define SCORE__VNAME(id, name) name,
    SCORE_VERBS(SCORE__VNAME)
#undef SCORE__VNAME
};
static const char *const fallback_names[SCORE_N_FALLBACKS] = {
#define SCORE__FNAME(id, name) name,
    SCORE_FALLBACKS(SCORE__FNAME)
#undef SCORE__FNAME
};

const char *score_link_name(score_link l)
{
    return (int)l >= 0 && l < SCORE_N_LINKS ? link_names[l] : "?";
}
const char *score_verb_name(score_verb v)
{
    return (int)v >= 0 && v < SCORE_N_VERBS ? verb_names[v] : "?";
}
const char *score_fallback_name(score_fallback f)
{
    return (int)f >= 0 && f < SCORE_N_FALLBACKS ? fallback_names[f] : "?";
}
