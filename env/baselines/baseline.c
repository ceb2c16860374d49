/* baseline.c: the scorer interface, its table and the baseline scorers, one static function each
 * with the same signature (as redis's ae_*.c back-ends), plus kube-scheduler's selectHost. The
 * Kubernetes and trimaran formulas are in scorer_k8s.c, the oracle in scorer_oracle.c. */
#include "env/baselines/baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "env/baselines/baseline_impl.h"

struct baseline {
    const struct scorer_entry *entry; /* static table entry */
    rng rng;
    int rr_last; /* round-robin: the node it picked last, -1 before its first pick */
    double *buf; /* owned: scores for baseline_pick, [buf_cap] */
    int buf_cap;
};

/* Uniform draws: the argmax is a uniformly random masked node. */
static int score_random(baseline *s, const sched_view *v, double *scores)
{
    for (int i = 0; i < v->n_max; i++)
        if (baseline__masked(v, i)) scores[i] = 100 * rng_uniform(&s->rng);
    return 0;
}

/* 100 for the first masked node after the last pick (cyclically by index), 0 for the rest.
 * Scoring does not move the position; picking does (baseline_pick). */
static int score_round_robin(baseline *s, const sched_view *v, double *scores)
{
    int last = s->rr_last < v->n_max ? s->rr_last : -1;
    int next = -1;
    for (int k = 1; k <= v->n_max && next < 0; k++) {
        int i = (last + k) % v->n_max;
        if (baseline__masked(v, i)) next = i;
    }
    for (int i = 0; i < v->n_max; i++)
        if (baseline__masked(v, i)) scores[i] = i == next ? 100 : 0;
    return 0;
}

static int score_k8s_default(baseline *s, const sched_view *v, double *scores)
{
    (void)s;
    for (int i = 0; i < v->n_max; i++)
        if (baseline__masked(v, i)) scores[i] = baseline__k8s_default(&v->nodes[i], v->pod);
    return 0;
}

static int score_most_allocated(baseline *s, const sched_view *v, double *scores)
{
    (void)s;
    for (int i = 0; i < v->n_max; i++)
        if (baseline__masked(v, i))
            scores[i] = (double)baseline__most_allocated(&v->nodes[i], v->pod);
    return 0;
}

static int score_load_aware(baseline *s, const sched_view *v, double *scores)
{
    (void)s;
    if (!v->obs_nodes || v->window <= 0)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "scorer load-aware: needs the node telemetry window (obs_nodes, "
                            "window > 0), and this view has none");
    for (int i = 0; i < v->n_max; i++)
        if (baseline__masked(v, i)) scores[i] = (double)baseline__target_load_packing(v, i);
    return 0;
}

/* X(name, score function): the scorers this build knows, in the order baseline_names() lists. */
#define KISIM_SCORERS(X)                                                                           \
    X("random", score_random)                                                                      \
    X("round-robin", score_round_robin)                                                            \
    X("k8s-default", score_k8s_default)                                                            \
    X("most-allocated", score_most_allocated)                                                      \
    X("load-aware", score_load_aware)                                                              \
    X("oracle", baseline__oracle_scores)

struct scorer_entry {
    const char *name;
    baseline__score_fn *score;
};

static const struct scorer_entry scorer_table[] = {
#define SCORER_ENTRY(name, fn) {name, fn},
    KISIM_SCORERS(SCORER_ENTRY)
#undef SCORER_ENTRY
};

/* (clang-format takes the macro list for an expression and would indent NULL under it.) */
/* clang-format off */
static const char *const scorer_name_list[] = {
#define SCORER_NAME(name, fn) name,
    KISIM_SCORERS(SCORER_NAME)
#undef SCORER_NAME
    NULL,
};
/* clang-format on */

#define SCORER_COUNT ((int)(sizeof scorer_table / sizeof scorer_table[0]))

const char *const *baseline_names(void)
{
    return scorer_name_list;
}

int baseline_create(baseline **out, const char *name, uint64_t seed)
{
    if (!out) return kisim_seterr(KISIM_EUSAGE, "baseline_create: out is NULL");
    *out = NULL;
    const struct scorer_entry *entry = NULL;
    for (int k = 0; k < SCORER_COUNT && name; k++)
        if (strcmp(scorer_table[k].name, name) == 0) entry = &scorer_table[k];
    if (!entry) {
        char list[256] = "";
        for (int k = 0; k < SCORER_COUNT; k++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", scorer_table[k].name);
        }
        return kisim_seterr(KISIM_EUSAGE, "unknown scorer \"%s\" (expected one of: %s)",
                            name ? name : "(null)", list);
    }
    baseline *s = calloc(1, sizeof *s);
    if (!s) return kisim_seterr(KISIM_ENOMEM, "scorer %s: out of memory", entry->name);
    s->entry = entry;
    baseline_reset(s, seed);
    *out = s;
    return 0;
}

void baseline_free(baseline *s)
{
    if (!s) return;
    free(s->buf);
    free(s);
}

const char *baseline_name(const baseline *s)
{
    return s->entry->name;
}

void baseline_reset(baseline *s, uint64_t seed)
{
    rng_seed(&s->rng, seed);
    s->rr_last = -1;
}

int baseline_score(baseline *s, const sched_view *v, double *scores)
{
    if (!v || v->n_max < 0 || (v->n_max > 0 && (!v->nodes || !v->action_mask)) || !v->pod)
        return kisim_seterr(KISIM_EINPUT,
                            "scorer %s: incomplete sched_view (needs n_max >= 0, nodes, pod and "
                            "action_mask)",
                            s->entry->name);
    for (int i = 0; i < v->n_max; i++)
        scores[i] = -1;
    return s->entry->score(s, v, scores);
}

/* kube-scheduler's selectHost: one pass over the scores, reservoir-sampling among the nodes
 * that share the highest score, so every tied node is equally likely. */
int baseline_pick(baseline *s, const sched_view *v)
{
    if (v && v->n_max > s->buf_cap) {
        double *buf = realloc(s->buf, (size_t)v->n_max * sizeof *buf);
        if (!buf) return kisim_seterr(KISIM_ENOMEM, "scorer %s: out of memory", s->entry->name);
        s->buf = buf;
        s->buf_cap = v->n_max;
    }
    int rc = baseline_score(s, v, s->buf);
    if (rc < 0) return rc;

    int chosen = -1;
    uint32_t n_best = 0;
    for (int i = 0; i < v->n_max; i++) {
        if (!baseline__masked(v, i)) continue;
        if (chosen < 0 || s->buf[i] > s->buf[chosen]) {
            chosen = i;
            n_best = 1;
        } else if (s->buf[i] == s->buf[chosen]) {
            n_best++;
            if (rng_below(&s->rng, n_best) == 0) chosen = i;
        }
    }
    if (chosen < 0)
        return kisim_seterr(KISIM_EINPUT,
                            "scorer %s: no node can take the pod (the action mask has no node "
                            "set among %d)",
                            s->entry->name, v->n_max);
    s->rr_last = chosen;
    return chosen;
}
