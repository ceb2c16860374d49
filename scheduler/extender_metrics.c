/* extender_metrics.c: the Prometheus /metrics page (see extender_metrics.h). Histograms print
 * cumulative le buckets, _sum and _count as the exposition format requires; label values are
 * escaped (backslash, quote, newline). */
#include "scheduler/extender_metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"

/* A label value with \, " and newline escaped. */
static void label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f), fputc(*s, f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void histogram(FILE *f, const char *name, const score_stats *st)
{
    for (int v = 0; v < SCORE_N_VERBS; v++) {
        const char *verb = score_verb_name((score_verb)v);
        uint64_t cum = 0;
        for (int b = 0; b < SCORE_N_BUCKETS; b++) {
            cum += st->latency_bucket[v][b];
            fprintf(f, "%s_bucket{verb=\"%s\",le=\"%g\"} %llu\n", name, verb,
                    score_latency_bounds[b], (unsigned long long)cum);
        }
        cum += st->latency_bucket[v][SCORE_N_BUCKETS];
        fprintf(f, "%s_bucket{verb=\"%s\",le=\"+Inf\"} %llu\n", name, verb,
                (unsigned long long)cum);
        fprintf(f, "%s_sum{verb=\"%s\"} %.9g\n", name, verb, st->latency_sum[v]);
        fprintf(f, "%s_count{verb=\"%s\"} %llu\n", name, verb, (unsigned long long)cum);
    }
}

static void samples(FILE *f, score_metric m, const char *name, const score_stats *st)
{
    switch (m) {
    case SCORE_M_REQUESTS:
        for (int v = 0; v < SCORE_N_VERBS; v++)
            for (int l = 0; l < SCORE_N_LINKS; l++)
                fprintf(f, "%s{verb=\"%s\",link=\"%s\"} %llu\n", name,
                        score_verb_name((score_verb)v), score_link_name((score_link)l),
                        (unsigned long long)st->requests[v][l]);
        break;
    case SCORE_M_DURATION:
        histogram(f, name, st);
        break;
    case SCORE_M_ERRORS:
        for (int v = 0; v < SCORE_N_VERBS; v++)
            fprintf(f, "%s{verb=\"%s\"} %llu\n", name, score_verb_name((score_verb)v),
                    (unsigned long long)st->errors[v]);
        break;
    case SCORE_M_FALLBACKS:
        for (int l = 0; l < SCORE_N_LINKS; l++)
            for (int r = 0; r < SCORE_N_FALLBACKS; r++)
                fprintf(f, "%s{link=\"%s\",reason=\"%s\"} %llu\n", name,
                        score_link_name((score_link)l), score_fallback_name((score_fallback)r),
                        (unsigned long long)st->fallbacks[l][r]);
        break;
    case SCORE_M_BREAKER:
        for (int l = 0; l < SCORE_N_LINKS; l++)
            fprintf(f, "%s{link=\"%s\"} %d\n", name, score_link_name((score_link)l),
                    (int)st->breaker[l]);
        break;
    case SCORE_M_MODEL:
        for (int l = 0; l < SCORE_N_LINKS; l++) {
            if (!st->version[l][0]) continue;
            fprintf(f, "%s{link=\"%s\",version=\"", name, score_link_name((score_link)l));
            label_value(f, st->version[l]);
            fputs("\"} 1\n", f);
        }
        break;
    case SCORE_M_RELOADS:
        fprintf(f, "%s{result=\"ok\"} %llu\n%s{result=\"failed\"} %llu\n", name,
                (unsigned long long)st->reloads_ok, name, (unsigned long long)st->reloads_failed);
        break;
    case SCORE_M_NODES:
        fprintf(f, "%s %d\n", name, st->nodes);
        break;
    case SCORE_M_STALE:
        fprintf(f, "%s %d\n", name, st->stale_nodes);
        break;
    case SCORE_M_FRAMES:
        fprintf(f, "%s{result=\"ok\"} %llu\n", name, (unsigned long long)st->telem.frames_ok);
        for (int r = 0; r < TELEM_N_REFUSALS; r++)
            fprintf(f, "%s{result=\"%s\"} %llu\n", name, telem_refusal_name((telem_refusal)r),
                    (unsigned long long)st->telem.refused[r]);
        break;
    case SCORE_M_EVICTIONS:
        fprintf(f, "%s{what=\"node\"} %llu\n%s{what=\"pod\"} %llu\n", name,
                (unsigned long long)st->telem.evicted_nodes, name,
                (unsigned long long)st->telem.evicted_pods);
        break;
    case SCORE_M_KEYS_REFUSED:
        fprintf(f, "%s %llu\n", name, (unsigned long long)st->telem.keys_refused);
        break;
    case SCORE_M_RUNS: /* the model links; neutral runs no model */
        for (int l = 0; l < SCORE_LINK_NEUTRAL; l++)
            fprintf(
                f,
                "%s{link=\"%s\",thread=\"inline\"} %llu\n%s{link=\"%s\",thread=\"worker\"} %llu\n",
                name, score_link_name((score_link)l), (unsigned long long)st->runs_inline[l], name,
                score_link_name((score_link)l), (unsigned long long)st->runs_worker[l]);
        break;
    case SCORE_N_METRICS:
        break;
    }
}

int extender_metrics_page(char **out, size_t *len, const score_stats *st)
{
    *out = NULL;
    *len = 0;
    FILE *f = open_memstream(out, len);
    if (!f) return kisim_seterr(KISIM_ENOMEM, "metrics: out of memory");
    for (int m = 0; m < SCORE_N_METRICS; m++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", score_metrics[m].name, score_metrics[m].help,
                score_metrics[m].name, score_metrics[m].type);
        samples(f, (score_metric)m, score_metrics[m].name, st);
    }
    if (fclose(f) || !*out) {
        free(*out);
        *out = NULL;
        return kisim_seterr(KISIM_ENOMEM, "metrics: out of memory");
    }
    return 0;
}
