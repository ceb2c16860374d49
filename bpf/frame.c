/* frame.c: the text the collector emits: a telemetry frame's JSON body (docs/ARCHITECTURE.md,
 * "Telemetry frames": null where a feature is unavailable) and the /metrics page. */
#include "bpf/frame.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cJSON *features_json(const node_unit *u, const char *key)
{
    cJSON *a = cJSON_CreateArray();
    for (int f = 0; f < KISIM_F; f++) {
        int av = u->valid && u->avail[f];
        if (!strcmp(key, "available"))
            cJSON_AddItemToArray(a, cJSON_CreateNumber(av));
        else
            cJSON_AddItemToArray(a, av ? cJSON_CreateNumber(u->feat[f]) : cJSON_CreateNull());
    }
    return a;
}

char *frame_json(const node_unit *n, node_unit *const *pods, int n_pods, long long ts_ms)
{
    cJSON *o = cJSON_CreateObject(), *by_pod = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "v", 1);
    cJSON_AddStringToObject(o, "node", n->name);
    cJSON_AddNumberToObject(o, "ts_ms", (double)ts_ms);
    cJSON_AddItemToObject(o, "features", features_json(n, "features"));
    cJSON_AddItemToObject(o, "available", features_json(n, "available"));
    for (int i = 0; i < n_pods; i++) {
        if (!pods[i]->valid) continue; /* a new pod shows from its second reading */
        cJSON *p = cJSON_CreateObject();
        cJSON_AddItemToObject(p, "features", features_json(pods[i], "features"));
        cJSON_AddItemToObject(p, "available", features_json(pods[i], "available"));
        cJSON_AddItemToObject(by_pod, pods[i]->name, p);
    }
    cJSON_AddItemToObject(o, "pods", by_pod);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

typedef struct {
    char *buf;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) return;
        if (t->buf && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap + (size_t)n + 1) * 2;
        char *b = realloc(t->buf, cap);
        if (!b) return;
        t->buf = b;
        t->cap = cap;
    }
}

static void prog_runs(void *arg, const char *name, unsigned long long cnt, unsigned long long ns)
{
    (void)ns;
    put(arg, "kisim_bpf_prog_runs_total{prog=\"%s\"} %llu\n", name, cnt);
}

static void prog_seconds(void *arg, const char *name, unsigned long long cnt, unsigned long long ns)
{
    (void)cnt;
    put(arg, "kisim_bpf_prog_run_seconds_total{prog=\"%s\"} %llu.%09llu\n", name,
        ns / 1000000000ull, ns % 1000000000ull);
}

char *frame_metrics_text(collect *c, node_unit *const *nodes, int n_nodes, long frames)
{
    text t = {0};
    put(&t, "# HELP kisim_node_feature Node telemetry feature, raw units (common/features.h).\n"
            "# TYPE kisim_node_feature gauge\n");
    for (int i = 0; i < n_nodes; i++)
        for (int f = 0; f < KISIM_F; f++)
            if (nodes[i]->valid && nodes[i]->avail[f])
                put(&t, "kisim_node_feature{node=\"%s\",feature=\"%s\",unit=\"%s\"} %.9g\n",
                    nodes[i]->name, kisim_features[f].name, kisim_features[f].unit,
                    nodes[i]->feat[f]);
    put(&t, "# HELP kisim_node_feature_available 1 if the collector measures the feature here.\n"
            "# TYPE kisim_node_feature_available gauge\n");
    for (int i = 0; i < n_nodes; i++)
        for (int f = 0; f < KISIM_F; f++)
            put(&t, "kisim_node_feature_available{node=\"%s\",feature=\"%s\"} %d\n", nodes[i]->name,
                kisim_features[f].name, nodes[i]->valid && nodes[i]->avail[f]);
    put(&t,
        "# HELP kisim_bpf_prog_runs_total Runs of each BPF program (kernel.bpf_stats_enabled=1).\n"
        "# TYPE kisim_bpf_prog_runs_total counter\n");
    collect_prog_stats(c, prog_runs, &t);
    put(&t, "# HELP kisim_bpf_prog_run_seconds_total Run time of each BPF program "
            "(kernel.bpf_stats_enabled=1).\n# TYPE kisim_bpf_prog_run_seconds_total counter\n");
    collect_prog_stats(c, prog_seconds, &t);
    put(&t,
        "# HELP kisim_collect_frames_total Telemetry frames published.\n"
        "# TYPE kisim_collect_frames_total counter\nkisim_collect_frames_total %ld\n",
        frames);
    return t.buf;
}
