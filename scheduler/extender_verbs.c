/* extender_verbs.c: filter and prioritize (see extender_verbs.h). Prioritize maps the chain's
 * 0..100 scores to kube-scheduler's 0..10. Filter fails a node only on evidence, and never for
 * missing or stale telemetry (an extender that fails nodes it knows nothing about would make
 * pods unschedulable whenever a collector is down):
 *   - unresolvable: the pod's effective request exceeds the node's allocatable CPU, memory or
 *     GPUs of a kind (Nodes form only: the NodeNames form carries no Node objects); the request
 * without scoring's non-zero defaults, as NodeResourcesFit counts it, here and below;
 *   - the node's fresh telemetry says its physical memory cannot hold the pod's request:
 *     capacity * (1 - memory_utilization) < request (Nodes form, for the capacity);
 *   - with filter_min_score > 0, a model link (not the neutral one) scored it below that. */
#include "scheduler/extender_verbs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "scheduler/extender_json.h"
#include "telemetry/store.h"

#define FAIL_MSG 200

/* The reason the pod can never fit the node's allocatable, or 0. */
static int fit_check(const extender_args *a, const extender_node *nd, char *msg)
{
    const extender_pod *p = &a->pod_info;
    if (!nd->item) return 0;
    if (nd->alloc_cpu_m >= 0 && p->fit_cpu_m > nd->alloc_cpu_m) {
        snprintf(msg, FAIL_MSG, "the pod requests %lldm CPU, the node's allocatable is %lldm",
                 (long long)p->fit_cpu_m, (long long)nd->alloc_cpu_m);
        return 1;
    }
    if (nd->alloc_mem_b >= 0 && p->fit_mem_b > nd->alloc_mem_b) {
        snprintf(msg, FAIL_MSG,
                 "the pod requests %lld bytes of memory, the node's allocatable "
                 "is %lld",
                 (long long)p->fit_mem_b, (long long)nd->alloc_mem_b);
        return 1;
    }
    for (int g = 0; g < EXTENDER_GPU_KINDS; g++) { /* each GPU resource against its own */
        int64_t have = nd->alloc_gpus[g] < 0 ? 0 : nd->alloc_gpus[g];
        if (p->gpus_of[g] > have) {
            snprintf(msg, FAIL_MSG, "the pod requests %lld %s, the node's allocatable is %lld",
                     (long long)p->gpus_of[g], extender_gpu_resources[g], (long long)have);
            return 1;
        }
    }
    return 0;
}

/* The reason fresh telemetry says the node's free memory cannot hold the request, or 0. */
static int memory_check(telem_store *st, const extender_args *a, const extender_node *nd,
                        float *win, char *msg)
{
    uint8_t avail[KISIM_F];
    if (!nd->item || nd->cap_mem_b <= 0 || !st) return 0;
    if (telem_store_get(st, nd->name, win, avail, NULL) != TELEM_FRESH) return 0;
    if (!avail[FEAT_MEMORY_UTILIZATION]) return 0;
    int T = telem_store_window(st);
    double util = win[(T - 1) * KISIM_F + FEAT_MEMORY_UTILIZATION];
    double free_b = (double)nd->cap_mem_b * (1 - fmin(fmax(util, 0), 1));
    if ((double)a->pod_info.fit_mem_b <= free_b) return 0;
    snprintf(msg, FAIL_MSG,
             "telemetry: memory_utilization %.2f leaves %.0f MiB free, the pod "
             "requests %.0f MiB",
             util, free_b / 1048576, (double)a->pod_info.fit_mem_b / 1048576);
    return 1;
}

static void filter(score_service *s, const extender_args *a, const score_reply *r, int min_score,
                   int *status, char **out, size_t *len)
{
    char(*msg)[FAIL_MSG] = calloc((size_t)a->n + 1, sizeof *msg);
    const char **fail = calloc((size_t)a->n + 1, sizeof *fail);
    uint8_t *unres = calloc((size_t)a->n + 1, 1);
    telem_store *st = score_service_store(s);
    float *win = st ? malloc((size_t)telem_store_window(st) * KISIM_F * sizeof *win) : NULL;
    if (!msg || !fail || !unres || (st && !win)) goto oom;
    for (int i = 0; i < a->n; i++) {
        const extender_node *nd = &a->nodes[i];
        if (fit_check(a, nd, msg[i])) {
            unres[i] = 1;
        } else if (memory_check(st, a, nd, win, msg[i])) {
        } else if (r && r->nodes[i].link != SCORE_LINK_NEUTRAL &&
                   r->nodes[i].status == SCORE_NODE_OK && r->nodes[i].score < min_score) {
            snprintf(msg[i], FAIL_MSG, "score %d < %d (%s): %s", r->nodes[i].score, min_score,
                     score_link_name(r->nodes[i].link), r->nodes[i].reason);
        } else {
            continue;
        }
        fail[i] = msg[i];
    }
    if (extender_json_filter(out, len, a, fail, unres)) goto oom;
    *status = 200;
    goto done;
oom:
    *status = 500;
    extender_json_error(out, len, "extender: out of memory");
done:
    free(win);
    free(unres);
    free(fail);
    free(msg);
}

/* Scores the candidates (n >= 1) through the service. */
static int score(score_service *s, score_verb verb, const extender_args *a, score_reply *r)
{
    score_request req = {.verb = verb, .n = a->n};
    memcpy(req.pod, a->pod, sizeof req.pod);
    const char **names = malloc((size_t)a->n * sizeof *names);
    float *orch = NULL;
    int rc = KISIM_ENOMEM;
    if (!names) goto cleanup;
    int any_orch = 0;
    for (int i = 0; i < a->n; i++) {
        names[i] = a->nodes[i].name;
        for (int j = 0; j < EXTENDER_N_ORCH; j++)
            any_orch |= a->nodes[i].orch_avail[j];
    }
    if (any_orch) {
        if (!(orch = malloc((size_t)a->n * EXTENDER_N_ORCH * sizeof *orch))) goto cleanup;
        for (int i = 0; i < a->n; i++)
            for (int j = 0; j < EXTENDER_N_ORCH; j++)
                orch[i * EXTENDER_N_ORCH + j] =
                    a->nodes[i].orch_avail[j] ? a->nodes[i].orch[j] : NAN;
    }
    req.nodes = names;
    req.orch = orch;
    rc = score_service_score(s, &req, r);
cleanup:
    free(orch);
    free(names);
    return rc;
}

void extender_verbs_answer(score_service *s, score_verb verb, const char *body, size_t len,
                           int filter_min_score, int *status, char **out, size_t *out_len)
{
    extender_args a;
    score_reply r = {0};
    int *s10 = NULL;
    int rc = extender_json_parse(&a, body, len); /* refuses more than SCORE_MAX_NODES */
    int want_scores = verb == SCORE_VERB_PRIORITIZE || filter_min_score > 0;
    if (!rc && a.n > 0 && want_scores) rc = score(s, verb, &a, &r);
    if (rc) goto error;
    if (verb == SCORE_VERB_FILTER) {
        filter(s, &a, want_scores && a.n ? &r : NULL, filter_min_score, status, out, out_len);
        goto cleanup;
    }
    if (!(s10 = malloc(((size_t)a.n + 1) * sizeof *s10))) {
        rc = kisim_seterr(KISIM_ENOMEM, "extender: out of memory");
        goto error;
    }
    for (int i = 0; i < a.n; i++)
        s10[i] = extender_score10(r.nodes[i].score);
    if ((rc = extender_json_prioritize(out, out_len, &a, s10))) goto error;
    *status = 200;
    goto cleanup;
error:
    *status = rc == KISIM_ENOMEM ? 500 : 400;
    if (rc != KISIM_ENOMEM) score_service_count_error(s, verb);
    extender_json_error(out, out_len, kisim_errmsg());
cleanup:
    free(s10);
    score_reply_free(&r);
    extender_json_free(&a);
}
