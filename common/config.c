/* config.c: reading a scenario config. The file is parsed with cJSON, then walked against the
 * schema table (config_schema.c) so every key gets its type and range checked with a message
 * naming the file and JSON Pointer; then come the checks that span several keys and the
 * normalisation of node types. Also the effective JSON, its hash and node lookups. */
#include "common/config.h"
#include "common/json_strict.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config_schema.h"
#include "common/err.h"
#include "common/file_read.h"

#define NAME_ROW(id, name) name,
const char *const noisy_kind_names[NOISY_KINDS] = {KISIM_NOISY_KINDS(NAME_ROW)};
const char *const contention_names[CONTENTION_KINDS] = {KISIM_CONTENTION(NAME_ROW)};
const char *const bg_class_names[BG_CLASSES] = {KISIM_BG_CLASSES(NAME_ROW)};
#undef NAME_ROW

/* Configs are hand-written; anything bigger is a mistake (a trace given as the config). */
#define CFG_MAX_BYTES (16u << 20)
/* The offending value in a message is cut to this many characters to keep it one line. */
#define GOT_MAX 80

/* ---- messages ---- */

int schema_error(const char *origin, const char *ptr, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (ptr && *ptr) return kisim_seterr(KISIM_ECONFIG, "config: %s: %s: %s", origin, ptr, msg);
    return kisim_seterr(KISIM_ECONFIG, "config: %s: %s", origin, msg);
}

/* The offending JSON value as the user would write it, compactly. */
static void got_text(const cJSON *v, char *out, size_t n)
{
    if (cJSON_IsNumber(v)) { /* cJSON would print an overflowing 1e999 as null */
        schema_fmt_double(out, n, v->valuedouble);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        snprintf(out, n, "(unprintable)");
        return;
    }
    if (strlen(s) > GOT_MAX)
        snprintf(out, n, "%.*s...", GOT_MAX - 3, s);
    else
        snprintf(out, n, "%s", s);
    cJSON_free(s);
}

/* What a field accepts, as the "expected ..." part of a message. */
static void expected(const schema_field *f, char *out, size_t n)
{
    char lo[40], hi[40];
    size_t len = 0;
    schema_fmt_double(lo, sizeof lo, f->min);
    schema_fmt_double(hi, sizeof hi, f->max);
    switch (f->kind) {
    case SF_INT:
    case SF_U64:
        snprintf(out, n, "an integer in [%s, %s]", lo, hi);
        break;
    case SF_DOUBLE:
        snprintf(out, n, "a number in %c%s, %s]", f->open_min ? '(' : '[', lo, hi);
        break;
    case SF_CHOICE:
    case SF_ENUM:
        len = (size_t)snprintf(out, n, "one of ");
        for (int i = 0; i < f->n && len < n; i++) {
            const char *sep = i ? ", " : "";
            if (f->kind == SF_ENUM)
                len += (size_t)snprintf(out + len, n - len, "%s\"%s\"", sep, f->names[i]);
            else
                len += (size_t)snprintf(out + len, n - len, "%s%d", sep, f->choices[i]);
        }
        break;
    case SF_STRING:
        if (f->min > 0)
            snprintf(out, n, "a string of %s to %zu characters", lo, f->size - 1);
        else
            snprintf(out, n, "a string of at most %zu characters", f->size - 1);
        break;
    case SF_OBJECT:
        snprintf(out, n, "an object");
        break;
    case SF_NODE_TYPES:
        snprintf(out, n, "an array of %s to %s node types", lo, hi);
        break;
    case SF_FEATURES:
        snprintf(out, n, "an array of feature names");
        break;
    case SF_BOOL:
        snprintf(out, n, "true or false");
        break;
    case SF_ENDPOINTS:
        snprintf(out, n, "an array of at most %d endpoint strings (each under %d characters)",
                 CFG_MAX_REMOTE, CFG_ENDPOINT_LEN);
        break;
    }
}

/* ---- the schema walk ---- */

typedef struct {
    const char *origin;
    char ptr[1024]; /* JSON Pointer of the value being read */
    size_t len;
} walk;

/* Appends one JSON Pointer segment (RFC 6901 escapes ~ and /); returns the old length. */
static size_t push(walk *w, const char *seg)
{
    size_t old = w->len;
    char esc[3] = {0};
    if (w->len + 1 < sizeof w->ptr) w->ptr[w->len++] = '/';
    for (; *seg; seg++) {
        const char *s = *seg == '~' ? "~0" : *seg == '/' ? "~1" : (esc[0] = *seg, esc);
        for (; *s && w->len + 1 < sizeof w->ptr; s++)
            w->ptr[w->len++] = *s;
    }
    w->ptr[w->len] = '\0';
    return old;
}

static void pop(walk *w, size_t old)
{
    w->len = old;
    w->ptr[old] = '\0';
}

static int bad_value(walk *w, const schema_field *f, const cJSON *v)
{
    char want[256], got[GOT_MAX + 1];
    expected(f, want, sizeof want);
    got_text(v, got, sizeof got);
    return schema_error(w->origin, w->ptr, "expected %s, got %s", want, got);
}

static int number_ok(const schema_field *f, const cJSON *v, int integral)
{
    if (!cJSON_IsNumber(v)) return 0;
    double d = v->valuedouble;
    if (integral && d != floor(d)) return 0;
    return (f->open_min ? d > f->min : d >= f->min) && d <= f->max;
}

static int walk_object(walk *w, const schema_field *fields, const cJSON *obj, void *base);

static int walk_node_types(walk *w, const schema_field *f, const cJSON *arr, void *base)
{
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < f->min || n > f->max) return bad_value(w, f, arr);
    cfg_node_type *types = (cfg_node_type *)((char *)base + f->off);
    int i = 0;
    for (const cJSON *el = arr->child; el; el = el->next, i++) {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        size_t old = push(w, idx);
        schema_defaults(f->fields, &types[i]);
        /* "standard" names the implicit single type; listed types are told apart by index. */
        snprintf(types[i].name, sizeof types[i].name, "type%d", i);
        int rc = walk_object(w, f->fields, el, &types[i]);
        if (rc) return rc;
        pop(w, old);
    }
    *(int *)((char *)base + f->count_off) = n;
    return 0;
}

static int walk_features(walk *w, const schema_field *f, const cJSON *arr, void *base)
{
    uint8_t *flags = (uint8_t *)base + f->off;
    if (!cJSON_IsArray(arr)) return bad_value(w, f, arr);
    memset(flags, 0, KISIM_F);
    int i = 0;
    for (const cJSON *el = arr->child; el; el = el->next, i++) {
        char idx[16], got[GOT_MAX + 1];
        snprintf(idx, sizeof idx, "%d", i);
        size_t old = push(w, idx);
        got_text(el, got, sizeof got);
        if (!cJSON_IsString(el))
            return schema_error(w->origin, w->ptr, "expected a feature name, got %s", got);
        int fi = feature_index(el->valuestring);
        if (fi < 0) {
            char names[512];
            size_t len = 0;
            for (int k = 0; k < KISIM_F && len < sizeof names; k++)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", k ? ", " : "",
                                        kisim_features[k].name);
            return schema_error(w->origin, w->ptr, "unknown feature %s (expected one of: %s)", got,
                                names);
        }
        flags[fi] = 1;
        pop(w, old);
    }
    return 0;
}

static int walk_endpoints(walk *w, const schema_field *f, const cJSON *arr, void *base)
{
    char(*eps)[CFG_ENDPOINT_LEN] = (char(*)[CFG_ENDPOINT_LEN])((char *)base + f->off);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > CFG_MAX_REMOTE)
        return bad_value(w, f, arr);
    int i = 0;
    for (const cJSON *el = arr->child; el; el = el->next, i++) {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        size_t old = push(w, idx);
        size_t len = cJSON_IsString(el) ? strlen(el->valuestring) : 0;
        if (!cJSON_IsString(el) || len == 0 || len >= CFG_ENDPOINT_LEN) {
            char got[GOT_MAX + 1];
            got_text(el, got, sizeof got);
            return schema_error(w->origin, w->ptr,
                                "expected an endpoint such as \"tcp://10.0.0.2:5555\", got %s",
                                got);
        }
        memcpy(eps[i], el->valuestring, len + 1);
        pop(w, old);
    }
    *(int *)((char *)base + f->count_off) = i;
    return 0;
}

static int walk_value(walk *w, const schema_field *f, const cJSON *v, void *base)
{
    char *p = (char *)base + f->off;
    switch (f->kind) {
    case SF_INT:
        if (!number_ok(f, v, 1)) return bad_value(w, f, v);
        *(int *)p = (int)v->valuedouble;
        return 0;
    case SF_U64:
        if (!number_ok(f, v, 1)) return bad_value(w, f, v);
        *(uint64_t *)p = (uint64_t)v->valuedouble;
        return 0;
    case SF_DOUBLE:
        if (!number_ok(f, v, 0)) return bad_value(w, f, v);
        *(double *)p = v->valuedouble;
        return 0;
    case SF_CHOICE:
        for (int i = 0; cJSON_IsNumber(v) && i < f->n; i++)
            if (v->valuedouble == f->choices[i]) {
                *(int *)p = f->choices[i];
                return 0;
            }
        return bad_value(w, f, v);
    case SF_ENUM:
        for (int i = 0; cJSON_IsString(v) && i < f->n; i++)
            if (strcmp(v->valuestring, f->names[i]) == 0) {
                *(int *)p = i;
                return 0;
            }
        return bad_value(w, f, v);
    case SF_STRING: {
        size_t len = cJSON_IsString(v) ? strlen(v->valuestring) : 0;
        if (!cJSON_IsString(v) || len < (size_t)f->min || len >= f->size) return bad_value(w, f, v);
        memcpy(p, v->valuestring, len + 1);
        return 0;
    }
    case SF_OBJECT:
        return walk_object(w, f->fields, v, base);
    case SF_NODE_TYPES:
        return walk_node_types(w, f, v, base);
    case SF_FEATURES:
        return walk_features(w, f, v, base);
    case SF_BOOL:
        if (!cJSON_IsBool(v)) return bad_value(w, f, v);
        *(int *)p = cJSON_IsTrue(v);
        return 0;
    case SF_ENDPOINTS:
        return walk_endpoints(w, f, v, base);
    }
    return 0;
}

static int walk_object(walk *w, const schema_field *fields, const cJSON *obj, void *base)
{
    if (!cJSON_IsObject(obj)) {
        schema_field as_object = {.kind = SF_OBJECT};
        return bad_value(w, &as_object, obj);
    }
    for (const cJSON *kv = obj->child; kv; kv = kv->next) {
        size_t old = push(w, kv->string); /* repeated keys were refused by the parse */
        const schema_field *f = fields;
        while (f->key && strcmp(f->key, kv->string) != 0)
            f++;
        if (!f->key) {
            char keys[512];
            size_t len = 0;
            for (const schema_field *g = fields; g->key && len < sizeof keys; g++)
                len += (size_t)snprintf(keys + len, sizeof keys - len, "%s%s",
                                        g == fields ? "" : ", ", g->key);
            return schema_error(w->origin, w->ptr, "unknown key (expected one of: %s)", keys);
        }
        int rc = walk_value(w, f, kv, base);
        if (rc) return rc;
        pop(w, old);
    }
    return 0;
}

int schema_parse(const schema_field *fields, const cJSON *obj, void *base, const char *origin,
                 const char *ptr)
{
    walk w = {.origin = origin};
    snprintf(w.ptr, sizeof w.ptr, "%s", ptr);
    w.len = strlen(w.ptr);
    return walk_object(&w, fields, obj, base);
}

/* ---- checks across keys, and node types ---- */

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* No node types means `nodes` nodes of the default type; afterwards there is at least one type
 * and `nodes` is the sum of the counts, so consumers have one shape to read. */
static void normalise_nodes(kisim_config *c)
{
    cfg_cluster *cl = &c->cluster;
    if (cl->n_node_types == 0) {
        schema_defaults(cfg_node_type_schema, &cl->node_types[0]);
        cl->node_types[0].count = cl->nodes;
        cl->n_node_types = 1;
    }
    cl->nodes = cfg_node_count(c);
}

static int check_cluster(const kisim_config *c, const cJSON *doc, const char *o)
{
    const cfg_cluster *cl = &c->cluster;
    const cJSON *jc = member(doc, "cluster");
    int has_types = member(jc, "node_types") != NULL;
    int total = cl->nodes;
    if (has_types) {
        total = 0;
        for (int i = 0; i < cl->n_node_types; i++) {
            total += cl->node_types[i].count;
            for (int j = 0; j < i; j++)
                if (strcmp(cl->node_types[i].name, cl->node_types[j].name) == 0) {
                    char ptr[64];
                    snprintf(ptr, sizeof ptr, "/cluster/node_types/%d/name", i);
                    return schema_error(o, ptr, "duplicate node type name \"%s\"",
                                        cl->node_types[i].name);
                }
        }
        if (member(jc, "nodes") && cl->nodes != total)
            return schema_error(o, "/cluster/nodes",
                                "expected the sum of the /cluster/node_types counts (%d), got %d",
                                total, cl->nodes);
        if (total < 1)
            return schema_error(o, "/cluster/node_types",
                                "the counts sum to 0; a cluster needs at least 1 node");
    }
    if (total > c->env.max_nodes)
        return schema_error(o, has_types ? "/cluster/node_types" : "/cluster/nodes",
                            "the cluster has %d nodes but /env/max_nodes is %d", total,
                            c->env.max_nodes);
    int any_kind = 0;
    for (int k = 0; k < NOISY_KINDS; k++)
        any_kind |= cl->noisy.kinds[k] > 0;
    if (!any_kind && cl->noisy.per_node_hour > 0) {
        char rate[40];
        schema_fmt_double(rate, sizeof rate, cl->noisy.per_node_hour);
        return schema_error(o, "/cluster/noisy/kinds",
                            "the weights are all 0 but /cluster/noisy/per_node_hour is %s", rate);
    }
    return 0;
}

static int check_workload(const kisim_config *c, const char *o)
{
    const cfg_workload *wl = &c->workload;
    char a[40], b[40];
    if (wl->service.timeout_ms <= wl->service.slo_ms) {
        schema_fmt_double(a, sizeof a, wl->service.slo_ms);
        schema_fmt_double(b, sizeof b, wl->service.timeout_ms);
        return schema_error(o, "/workload/service/timeout_ms",
                            "expected a value greater than /workload/service/slo_ms (%s), got %s",
                            a, b);
    }
    int lo = wl->service.min_replicas, hi = wl->service.max_replicas;
    int initial = wl->service.initial_replicas;
    if (hi < lo)
        return schema_error(o, "/workload/service/max_replicas",
                            "expected a value >= /workload/service/min_replicas (%d), got %d", lo,
                            hi);
    if (initial < lo || initial > hi)
        return schema_error(o, "/workload/service/initial_replicas",
                            "expected a value in [min_replicas, max_replicas] = [%d, %d], got %d",
                            lo, hi, initial);
    int any_class = 0;
    for (int k = 0; k < BG_CLASSES; k++)
        any_class |= wl->background.mix[k] > 0;
    if (!any_class)
        return schema_error(o, "/workload/background/mix",
                            "the weights are all 0; at least one must be positive");
    return 0;
}

/* Resolves a path key against the config's folder in place (as the trace path). */
static int resolve_path(const kisim_config *c, char *path, size_t size, const char *o,
                        const char *ptr)
{
    if (!path[0] || path[0] == '/' || !c->dir[0]) return 0;
    size_t dl = strlen(c->dir), pl = strlen(path);
    int slash = c->dir[dl - 1] != '/';
    if (dl + (size_t)slash + pl >= size)
        return schema_error(o, ptr, "the path resolved against %s is longer than %zu characters",
                            c->dir, size - 1);
    memmove(path + dl + (size_t)slash, path, pl + 1);
    memcpy(path, c->dir, dl);
    if (slash) path[dl] = '/';
    return 0;
}

/* Resolves the trace path against the config's folder in place, and checks that the trace of a
 * "trace" pattern can be read now rather than minutes into a run. */
static int check_load(kisim_config *c, const char *o)
{
    cfg_load *l = &c->load;
    char a[40], b[40];
    if (l->random.max < l->random.min) {
        schema_fmt_double(a, sizeof a, l->random.min);
        schema_fmt_double(b, sizeof b, l->random.max);
        return schema_error(o, "/load/random/max",
                            "expected a value >= /load/random/min (%s), got %s", a, b);
    }
    if (l->trace.window_end_s != 0 && l->trace.window_end_s <= l->trace.window_start_s) {
        schema_fmt_double(a, sizeof a, l->trace.window_start_s);
        schema_fmt_double(b, sizeof b, l->trace.window_end_s);
        return schema_error(o, "/load/trace/window_end_s",
                            "expected 0 (the end of the trace) or a value greater than "
                            "/load/trace/window_start_s (%s), got %s",
                            a, b);
    }
    char *path = l->trace.path;
    int rerr = resolve_path(c, path, sizeof l->trace.path, o, "/load/trace/path");
    if (rerr) return rerr;
    if (l->pattern != LOAD_TRACE) return 0;
    if (!path[0])
        return schema_error(o, "/load/trace/path", "required when /load/pattern is \"trace\"");
    struct stat st;
    FILE *f = fopen(path, "r");
    int err = !f ? errno : fstat(fileno(f), &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (f) fclose(f);
    if (err) return schema_error(o, "/load/trace/path", "cannot read %s: %s", path, strerror(err));
    return 0;
}

/* The local section: a cgroup parent that stays inside the hierarchy, noisy nodes the cluster
 * has, and program paths resolved against the config's folder. */
static int check_local(kisim_config *c, const char *o)
{
    cfg_local *l = &c->local;
    const char *p = l->cgroup_parent;
    if (p[0] == '/' || strstr(p, "..") || p[strlen(p) - 1] == '/' || strpbrk(p, " \t\n\\"))
        return schema_error(o, "/local/cgroup_parent",
                            "expected a relative cgroup path without \"..\", blanks or a trailing "
                            "\"/\" (e.g. \"kisim\"), got \"%s\"",
                            p);
    int nodes = cfg_node_count(c);
    if (l->noisy.nodes > nodes)
        return schema_error(o, "/local/noisy/nodes",
                            "expected at most the cluster's %d nodes, got %d", nodes,
                            l->noisy.nodes);
    int err = resolve_path(c, l->kisim, sizeof l->kisim, o, "/local/kisim");
    if (!err) err = resolve_path(c, l->stress_ng, sizeof l->stress_ng, o, "/local/stress_ng");
    if (!err) err = resolve_path(c, l->locust, sizeof l->locust, o, "/local/locust");
    if (!err) err = resolve_path(c, l->locustfile, sizeof l->locustfile, o, "/local/locustfile");
    return err;
}

/* ---- public API ---- */

void cfg_default(kisim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    schema_defaults(cfg_schema, cfg);
    normalise_nodes(cfg);
}

static int malformed(const char *origin, const char *text, const json_error *e)
{
    if (e->kind == JSON_DUPLICATE) return schema_error(origin, e->pointer, "duplicate key");
    if (e->at == JSON_NO_OFFSET)
        return kisim_seterr(KISIM_ECONFIG, "config: %s: malformed JSON: %s", origin, e->reason);
    const char *at = text + e->at;
    int line = 1, col = 1;
    for (const char *s = text; s < at; s++) {
        if (*s == '\n') {
            line++;
            col = 1;
        } else if ((*s & 0xC0) != 0x80) {
            col++; /* count UTF-8 characters, as editors do */
        }
    }
    return kisim_seterr(KISIM_ECONFIG, "config: %s: malformed JSON at line %d, column %d: %s",
                        origin, line, col, e->reason);
}

/* cfg_parse over len bytes: a file's text is read whole, so a NUL byte in it is refused by the
 * JSON reader like any other stray byte instead of ending the text. */
static int parse_text(kisim_config *cfg, const char *json, size_t len, const char *origin,
                      const char *dir)
{
    origin = origin ? origin : "<string>";
    /* Parse into a scratch copy so a failed load leaves *cfg as it was. */
    kisim_config *c = calloc(1, sizeof *c);
    if (!c) return kisim_seterr(KISIM_ENOMEM, "config: %s: out of memory", origin);
    schema_defaults(cfg_schema, c);
    snprintf(c->path, sizeof c->path, "%.*s", (int)sizeof c->path - 1, origin);
    snprintf(c->dir, sizeof c->dir, "%.*s", (int)sizeof c->dir - 1, dir ? dir : "");

    json_error je;
    cJSON *doc = json_strict_parse(json, len, NULL, &je);
    int rc;
    if (!doc)
        rc = malformed(origin, json, &je);
    else if (!cJSON_IsObject(doc)) {
        char got[GOT_MAX + 1];
        got_text(doc, got, sizeof got);
        rc = schema_error(origin, NULL, "expected an object at the top level, got %s", got);
    } else {
        rc = schema_parse(cfg_schema, doc, c, origin, "");
        if (!rc) rc = check_cluster(c, doc, origin);
        if (!rc) rc = check_workload(c, origin);
        if (!rc) rc = check_load(c, origin);
        if (!rc) normalise_nodes(c);
        if (!rc) rc = check_local(c, origin);
    }
    if (!rc) *cfg = *c;
    cJSON_Delete(doc);
    free(c);
    return rc;
}

int cfg_parse(kisim_config *cfg, const char *json, const char *origin, const char *dir)
{
    return parse_text(cfg, json ? json : "", json ? strlen(json) : 0, origin, dir);
}

int cfg_read(kisim_config *cfg, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    int rc = file_read_regular(path, CFG_MAX_BYTES, KISIM_ECONFIG, "config:", &text, &len);
    /* Every config error is the user's (exit 2), a missing or unreadable file included. */
    if (rc) return rc == KISIM_EIO ? KISIM_ECONFIG : rc;
    char dir[CFG_PATH_LEN];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    rc = parse_text(cfg, text, len, path, dir);
    free(text);
    return rc;
}

char *cfg_to_json(const kisim_config *cfg)
{
    kisim_config *c = malloc(sizeof *c);
    if (!c) return NULL;
    *c = *cfg;
    normalise_nodes(c); /* a config built in code may still say "no node types" */
    schema_buf b = {0};
    schema_emit(&b, cfg_schema, c, 0);
    free(c);
    return b.oom ? NULL : b.buf;
}

uint64_t cfg_hash(const kisim_config *cfg)
{
    kisim_config *c = malloc(sizeof *c);
    if (!c) return 0;
    *c = *cfg;
    normalise_nodes(c);
    schema_buf b = {0};
    schema_emit(&b, cfg_schema, c, -1);
    free(c);
    uint64_t h = 14695981039346656037ULL; /* FNV-1a 64 offset basis and prime */
    for (size_t i = 0; !b.oom && i < b.len; i++)
        h = (h ^ (unsigned char)b.buf[i]) * 1099511628211ULL;
    free(b.buf);
    return b.oom ? 0 : h;
}

int cfg_node_count(const kisim_config *cfg)
{
    const cfg_cluster *cl = &cfg->cluster;
    if (cl->n_node_types == 0) return cl->nodes;
    int n = 0;
    for (int t = 0; t < cl->n_node_types; t++)
        n += cl->node_types[t].count;
    return n;
}

static cfg_node_type standard_type;

static void fill_standard_type(void)
{
    schema_defaults(cfg_node_type_schema, &standard_type);
}

const cfg_node_type *cfg_node_type_of(const kisim_config *cfg, int i)
{
    const cfg_cluster *cl = &cfg->cluster;
    if (i < 0) return NULL;
    if (cl->n_node_types == 0) {
        /* A config built in code without node types: all nodes are of the default type. The
         * pointer must outlive the call and be shareable across threads (the sim keeps it), so
         * it is one process-wide copy, filled once; its count says nothing about this config. */
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, fill_standard_type);
        return i < cl->nodes ? &standard_type : NULL;
    }
    for (int t = 0; t < cl->n_node_types; t++) {
        if (i < cl->node_types[t].count) return &cl->node_types[t];
        i -= cl->node_types[t].count;
    }
    return NULL;
}
