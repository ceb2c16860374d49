/* extender_json.c: ExtenderArgs parsing and ExtenderFilterResult / HostPriorityList writing
 * (see extender_json.h). Answers are written by hand into one growing buffer: the prioritize
 * verb is on kube-scheduler's critical path, and building a cJSON tree only to print it costs
 * as much as the parse. */
#include "scheduler/extender_json.h"
#include "common/json_strict.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/err.h"
#include "common/json_str.h"
#include "podspec/quantity.h"
#include "scheduler/score.h"

/* ---- output buffer ---- */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} buf;

static void buf_grow(buf *b, size_t more)
{
    if (b->oom || b->len + more + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void buf_put(buf *b, const char *s, size_t n)
{
    buf_grow(b, n);
    if (b->oom) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void buf_str(buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

/* s as a JSON string literal. */
static void buf_json_str(buf *b, const char *s)
{
    buf_grow(b, json_str_cap(s));
    if (b->oom) return;
    b->len += json_str_put(b->p + b->len, s);
    b->p[b->len] = 0;
}

static int buf_finish(buf *b, char **out, size_t *len)
{
    buf_grow(b, 0);
    if (b->oom) {
        free(b->p);
        *out = NULL;
        *len = 0;
        return kisim_seterr(KISIM_ENOMEM, "extender: out of memory writing an answer");
    }
    *out = b->p;
    *len = b->len;
    return 0;
}

/* ---- parsing ---- */

static int node_allocatable(extender_node *nd, const cJSON *node, const char *path)
{
    static const struct {
        const char *name;
        int scale10;
        size_t off;
    } res[] = {{"cpu", 3, offsetof(extender_node, alloc_cpu_m)},
               {"memory", 0, offsetof(extender_node, alloc_mem_b)},
               {"pods", 0, offsetof(extender_node, alloc_pods)},
               {"nvidia.com/gpu", 0, offsetof(extender_node, alloc_gpus[0])},
               {"amd.com/gpu", 0, offsetof(extender_node, alloc_gpus[1])}};
    const cJSON *status = cJSON_GetObjectItem(node, "status");
    const cJSON *lists[2] = {cJSON_GetObjectItem(status, "allocatable"),
                             cJSON_GetObjectItem(status, "capacity")};
    char p[320];
    snprintf(p, sizeof p, "%s.status.capacity", path);
    int rc = extender_quantity_field(lists[1], "memory", 0, &nd->cap_mem_b, p);
    if (rc < 0) return rc;
    if (!rc || nd->cap_mem_b < 0) nd->cap_mem_b = -1;
    for (size_t r = 0; r < sizeof res / sizeof res[0]; r++) {
        int64_t *dst = (int64_t *)((char *)nd + res[r].off);
        *dst = -1;
        for (int l = 0; l < 2 && *dst < 0; l++) {
            snprintf(p, sizeof p, "%s.status.%s", path, l ? "capacity" : "allocatable");
            int64_t v;
            rc = extender_quantity_field(lists[l], res[r].name, res[r].scale10, &v, p);
            if (rc < 0) return rc;
            if (rc && v < 0) return kisim_seterr(KISIM_EINPUT, "%s.%s: negative", p, res[r].name);
            if (rc) *dst = v;
        }
    }
    return 0;
}

static int node_orch_features(extender_node *nd, const cJSON *node, const char *path)
{
    const cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(node, "metadata"), "annotations");
    for (int j = 0; j < EXTENDER_N_ORCH; j++) {
        char key[96];
        snprintf(key, sizeof key, "%s%s", EXTENDER_ANN_PREFIX,
                 kisim_features[KISIM_F_MEASURED + j].name);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ann, key);
        if (!cJSON_IsString(v)) continue;
        char *end;
        double x = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end || !isfinite(x) || x < 0)
            return kisim_seterr(KISIM_EINPUT,
                                "%s.metadata.annotations[\"%s\"]: expected a "
                                "non-negative number, got \"%.64s\"",
                                path, key, v->valuestring);
        nd->orch[j] = (float)x;
        nd->orch_avail[j] = 1;
    }
    return 0;
}

/* Details of a v1.Node: its allocatable resources and orchestrator-feature annotations. */
static int node_details(extender_node *nd, const cJSON *node, int i)
{
    char path[64];
    snprintf(path, sizeof path, "Nodes.items[%d]", i);
    if (!cJSON_IsObject(node)) return kisim_seterr(KISIM_EINPUT, "%s: expected a v1.Node", path);
    nd->item = node;
    int rc = node_allocatable(nd, node, path);
    return rc ? rc : node_orch_features(nd, node, path);
}

static const char *node_name(const cJSON *node)
{
    const cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(node, "metadata"), "name");
    return cJSON_IsString(name) ? name->valuestring : NULL;
}

static void node_unknown(extender_node *nd)
{
    memset(nd, 0, sizeof *nd);
    nd->alloc_cpu_m = nd->alloc_mem_b = nd->alloc_pods = nd->cap_mem_b = -1;
    for (int g = 0; g < EXTENDER_GPU_KINDS; g++)
        nd->alloc_gpus[g] = -1;
}

/* A candidate's name and its index in NodeNames, sorted by (name, index) so that an item of
 * Nodes finds its candidates by binary search: O((names + items) log names), where comparing
 * every item with every name cost 3 s of CPU for 10,000 x 100,000. */
typedef struct {
    const char *name;
    int i;
} name_ent;

static int name_ent_cmp(const void *x, const void *y)
{
    const name_ent *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* The first entry of e[0..n) named nm, or -1. */
static int name_find(const name_ent *e, int n, const char *nm)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(e[mid].name, nm) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && !strcmp(e[lo].name, nm) ? lo : -1;
}

/* Gives the NodeNames candidates the details of the Nodes items of their name: each item is read
 * once, into the first candidate of its name (a later item of a name replaces an earlier one, as
 * a map keyed by name would), then copied to that name's other candidates. */
static int match_details(extender_args *a, const cJSON *items)
{
    int n = a->n, j = 0, rc = 0;
    name_ent *e = malloc((n ? (size_t)n : 1) * sizeof *e);
    if (!e) return kisim_seterr(KISIM_ENOMEM, "extender: out of memory (%d nodes)", n);
    for (int i = 0; i < n; i++)
        e[i] = (name_ent){a->nodes[i].name, i};
    qsort(e, (size_t)n, sizeof *e, name_ent_cmp);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const char *nm = node_name(it);
        int k = nm ? name_find(e, n, nm) : -1;
        if (k >= 0) {
            extender_node *nd = &a->nodes[e[k].i];
            node_unknown(nd);
            nd->name = e[k].name;
            if ((rc = node_details(nd, it, j))) break;
        }
        j++;
    }
    for (int k = 1; !rc && k < n; k++)
        if (!strcmp(e[k].name, e[k - 1].name)) {
            a->nodes[e[k].i] = a->nodes[e[k - 1].i];
            a->nodes[e[k].i].name = e[k].name;
        }
    free(e);
    return rc;
}

/* Refuses an array of more than SCORE_MAX_NODES before anything is done per element. */
static int count_nodes(const cJSON *arr, const char *what, int *n)
{
    *n = cJSON_GetArraySize(arr);
    if (*n > SCORE_MAX_NODES)
        return kisim_seterr(KISIM_EINPUT, "ExtenderArgs.%s: %d nodes, at most %d", what, *n,
                            SCORE_MAX_NODES);
    return 0;
}

static int parse_candidates(extender_args *a, const cJSON *names, const cJSON *items)
{
    int n_names, n_items, rc;
    if ((rc = count_nodes(names, "NodeNames", &n_names)) ||
        (rc = count_nodes(items, "Nodes.items", &n_items)))
        return rc;
    int n = a->by_name ? n_names : n_items;
    a->nodes = calloc(n ? (size_t)n : 1, sizeof *a->nodes);
    if (!a->nodes) return kisim_seterr(KISIM_ENOMEM, "extender: out of memory (%d nodes)", n);
    const cJSON *it;
    int i = 0;
    if (a->by_name) {
        cJSON_ArrayForEach(it, names)
        {
            if (!cJSON_IsString(it))
                return kisim_seterr(KISIM_EINPUT, "NodeNames[%d]: expected a node name string", i);
            node_unknown(&a->nodes[i]);
            a->nodes[i++].name = it->valuestring;
        }
        a->n = n;
        /* Nodes as well (never from kube-scheduler, which sends one or the other): details by
         * name. */
        return match_details(a, items);
    }
    cJSON_ArrayForEach(it, items)
    {
        node_unknown(&a->nodes[i]);
        if ((rc = node_details(&a->nodes[i], it, i))) return rc;
        if (!(a->nodes[i].name = node_name(it)))
            return kisim_seterr(KISIM_EINPUT, "Nodes.items[%d].metadata.name: missing", i);
        i++;
    }
    a->n = n;
    return 0;
}

static const char *meta_string(const cJSON *pod, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "metadata"), key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int extender_json_parse(extender_args *a, const char *body, size_t len)
{
    memset(a, 0, sizeof *a);
    json_error je;
    a->root = json_strict_parse(body, len, NULL, &je);
    int rc;
    if (!a->root) {
        rc = kisim_seterr(KISIM_EINPUT, "ExtenderArgs: not valid JSON (%s)", je.text);
        goto fail;
    }
    if (!cJSON_IsObject(a->root)) {
        rc = kisim_seterr(KISIM_EINPUT, "ExtenderArgs: expected a JSON object");
        goto fail;
    }
    const cJSON *pod = cJSON_GetObjectItem(a->root, "Pod");
    const cJSON *names = cJSON_GetObjectItem(a->root, "NodeNames");
    const cJSON *nodes = cJSON_GetObjectItem(a->root, "Nodes");
    const cJSON *items = cJSON_GetObjectItem(nodes, "items");
    if (!pod || cJSON_IsNull(pod)) {
        rc = kisim_seterr(KISIM_EINPUT, "ExtenderArgs.Pod: missing");
        goto fail;
    }
    if ((names && !cJSON_IsNull(names) && !cJSON_IsArray(names)) ||
        (nodes && !cJSON_IsNull(nodes) && !cJSON_IsObject(nodes)) ||
        (items && !cJSON_IsNull(items) && !cJSON_IsArray(items))) {
        rc = kisim_seterr(KISIM_EINPUT, "ExtenderArgs: NodeNames must be an array of strings and "
                                        "Nodes a v1.NodeList object with an items array");
        goto fail;
    }
    a->by_name = cJSON_IsArray(names);
    a->has_nodes = cJSON_IsObject(nodes);
    if (!a->by_name && !a->has_nodes) {
        rc = kisim_seterr(KISIM_EINPUT, "ExtenderArgs: neither Nodes nor NodeNames given");
        goto fail;
    }
    if ((rc = parse_candidates(a, names, items))) goto fail;
    if ((rc = extender_pod_context(pod, a->pod, &a->pod_info))) goto fail;
    a->pod_name = meta_string(pod, "name");
    a->pod_namespace = meta_string(pod, "namespace");
    return 0;
fail:
    extender_json_free(a);
    return rc;
}

void extender_json_free(extender_args *a)
{
    if (!a) return;
    cJSON_Delete(a->root);
    free(a->nodes);
    memset(a, 0, sizeof *a);
}

/* ---- answers ---- */

int extender_score10(double score100)
{
    if (!(score100 > 0)) return 0; /* also NaN */
    if (score100 >= 100) return 10;
    return (int)floor(score100 / 10.0 + 0.5);
}

int extender_json_prioritize(char **out, size_t *len, const extender_args *a, const int *score10)
{
    buf b = {0};
    buf_put(&b, "[", 1);
    for (int i = 0; i < a->n; i++) {
        char num[32];
        buf_str(&b, i ? ",{\"Host\":" : "{\"Host\":");
        buf_json_str(&b, a->nodes[i].name);
        snprintf(num, sizeof num, ",\"Score\":%d}", score10[i]);
        buf_str(&b, num);
    }
    buf_put(&b, "]", 1);
    return buf_finish(&b, out, len);
}

static void failed_map(buf *b, const char *key, const extender_args *a, const char *const *fail,
                       const uint8_t *unresolvable, int want)
{
    int first = 1;
    buf_str(b, key);
    buf_put(b, "{", 1);
    for (int i = 0; i < a->n; i++) {
        if (!fail[i] || !!unresolvable[i] != want) continue;
        if (!first) buf_put(b, ",", 1);
        first = 0;
        buf_json_str(b, a->nodes[i].name);
        buf_put(b, ":", 1);
        buf_json_str(b, fail[i]);
    }
    buf_put(b, "}", 1);
}

int extender_json_filter(char **out, size_t *len, const extender_args *a, const char *const *fail,
                         const uint8_t *unresolvable)
{
    buf b = {0};
    buf_str(&b, "{\"Nodes\":");
    if (a->has_nodes) {
        buf_str(&b, "{\"metadata\":{},\"items\":[");
        int first = 1;
        for (int i = 0; i < a->n; i++) {
            if (fail[i] || !a->nodes[i].item) continue;
            char *s = cJSON_PrintUnformatted(a->nodes[i].item);
            if (!s) {
                b.oom = 1;
                break;
            }
            if (!first) buf_put(&b, ",", 1);
            first = 0;
            buf_str(&b, s);
            cJSON_free(s);
        }
        buf_str(&b, "]}");
    } else {
        buf_str(&b, "null");
    }
    buf_str(&b, ",\"NodeNames\":");
    if (a->by_name) {
        buf_put(&b, "[", 1);
        int first = 1;
        for (int i = 0; i < a->n; i++) {
            if (fail[i]) continue;
            if (!first) buf_put(&b, ",", 1);
            first = 0;
            buf_json_str(&b, a->nodes[i].name);
        }
        buf_put(&b, "]", 1);
    } else {
        buf_str(&b, "null");
    }
    failed_map(&b, ",\"FailedNodes\":", a, fail, unresolvable, 0);
    failed_map(&b, ",\"FailedAndUnresolvableNodes\":", a, fail, unresolvable, 1);
    buf_str(&b, ",\"Error\":\"\"}");
    return buf_finish(&b, out, len);
}

int extender_json_error(char **out, size_t *len, const char *msg)
{
    buf b = {0};
    buf_str(&b, "{\"Error\":");
    buf_json_str(&b, msg);
    buf_put(&b, "}", 1);
    return buf_finish(&b, out, len);
}
