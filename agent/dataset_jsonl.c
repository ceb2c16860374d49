/* dataset_jsonl.c: scheduling events as JSON lines (agent/DATASET.md), the helpers every
 * dataset format shares (event arrays, outcome names, finiteness), and the choice of format by
 * file name. Every value read must fit the type it is stored in: a float32 array value outside
 * float32's range (1e39) is refused naming the line and field, never stored as inf (which would
 * be written back as null, a file no reader takes). */
#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent/fit.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "common/json_strict.h"
#include "spaces/spaces.h"

static const char *const outcome_names[] = {"running", "oom_killed", "evicted"};

const char *dataset_outcome_name(int outcome)
{
    return outcome >= 0 && outcome <= DS_EVICTED ? outcome_names[outcome] : "running";
}

int dataset_outcome_parse(const char *name)
{
    for (int i = 0; i <= DS_EVICTED; i++)
        if (!strcmp(name, outcome_names[i])) return i;
    return -1;
}

int dataset_event_alloc(ds_event *e, int n, int T)
{
    e->n = n, e->T = T;
    e->nodes = malloc((size_t)n * T * KISIM_F * sizeof(float));
    e->y_contention = malloc((size_t)n * 4 * sizeof(float) + (size_t)n);
    if (!e->nodes || !e->y_contention) {
        free(e->nodes), free(e->y_contention);
        e->nodes = e->y_contention = NULL;
        return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
    }
    e->y_latency = e->y_contention + n;
    e->inflation = e->y_latency + n;
    e->y_bootstrap = e->inflation + n;
    e->mask = (uint8_t *)(e->y_bootstrap + n);
    return 0;
}

void dataset_free(ds_set *d)
{
    for (int i = 0; i < d->n; i++) {
        free(d->ev[i].nodes);
        free(d->ev[i].y_contention);
    }
    free(d->ev);
    memset(d, 0, sizeof *d);
}

int dataset_is_shard(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".kds");
}

int dataset_event_nonfinite(const ds_event *e, const char **field, int *index)
{
    const struct {
        const char *name;
        const float *x;
        int n;
    } f[] = {{"nodes", e->nodes, e->n * e->T * KISIM_F},
             {"availability", e->avail, KISIM_F},
             {"pod", e->pod, KISIM_P},
             {"labels.contention", e->y_contention, e->n},
             {"labels.latency", e->y_latency, e->n},
             {"labels.inflation", e->inflation, e->n},
             {"labels.bootstrap", e->y_bootstrap, e->n}};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
        for (int i = 0; i < f[k].n; i++)
            if (!isfinite(f[k].x[i])) {
                *field = f[k].name, *index = i;
                return 1;
            }
    return 0;
}

/* Writers refuse what no reader would take back (a non-finite value is written by cJSON as null),
 * so a dataset file that exists can always be read. */
int dataset_check_writable(const ds_set *d)
{
    const char *field;
    int i;
    for (int k = 0; k < d->n; k++)
        if (dataset_event_nonfinite(&d->ev[k], &field, &i))
            return kisim_seterr(KISIM_EINPUT,
                                "dataset: event %d: \"%s\"[%d] is not finite; not written", k,
                                field, i);
    return 0;
}

static cJSON *farr(const float *x, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)x[i]));
    return a;
}

/* One event as its JSON line (malloc'd, no newline). Every writer goes through here, so a
 * JSONL file read and written again is byte-identical. */
static char *event_json(const ds_event *e)
{
    int n = e->n;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "episode", e->episode);
    cJSON_AddNumberToObject(o, "seed", (double)e->seed);
    cJSON_AddNumberToObject(o, "step", e->step);
    cJSON_AddNumberToObject(o, "n", n);
    cJSON_AddNumberToObject(o, "T", e->T);
    cJSON_AddItemToObject(o, "nodes", farr(e->nodes, n * e->T * KISIM_F));
    cJSON_AddItemToObject(o, "availability", farr(e->avail, KISIM_F));
    cJSON_AddItemToObject(o, "pod", farr(e->pod, KISIM_P));
    cJSON *m = cJSON_AddArrayToObject(o, "node_mask");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(m, cJSON_CreateNumber(e->mask[i] != 0));
    cJSON_AddNumberToObject(o, "chosen", e->chosen);
    cJSON_AddNumberToObject(o, "oracle", e->oracle);
    cJSON_AddStringToObject(o, "outcome", dataset_outcome_name(e->outcome));
    cJSON *lab = cJSON_AddObjectToObject(o, "labels");
    cJSON_AddItemToObject(lab, "contention", farr(e->y_contention, n));
    cJSON_AddItemToObject(lab, "latency", farr(e->y_latency, n));
    cJSON_AddItemToObject(lab, "inflation", farr(e->inflation, n));
    cJSON_AddItemToObject(lab, "bootstrap", farr(e->y_bootstrap, n));
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

int dataset_jsonl_format(const ds_set *d, char **text, size_t *len)
{
    size_t cap = 0;
    int err = dataset_check_writable(d);
    *text = NULL, *len = 0;
    for (int k = 0; k < d->n && !err; k++) {
        char *line = event_json(&d->ev[k]);
        size_t l = line ? strlen(line) : 0;
        if (line && *len + l + 2 > cap) {
            cap = (*len + l + 2) * 2;
            char *t = realloc(*text, cap);
            if (t)
                *text = t;
            else
                cap = 0;
        }
        if (!line || !cap)
            err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
        else {
            memcpy(*text + *len, line, l);
            (*text)[*len + l] = '\n';
            *len += l + 1;
        }
        free(line);
    }
    if (err) free(*text), *text = NULL, *len = 0;
    return err;
}

int dataset_write(const ds_set *d, const char *path)
{
    if (dataset_is_shard(path)) return dataset_shard_write(d, path);
    char *text;
    size_t len;
    int err = dataset_jsonl_format(d, &text, &len);
    if (!err) err = write_bytes_atomic(path, text ? text : "", len);
    free(text);
    return err;
}

int dataset_file_check(FILE *f, const char *path, size_t *size)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return kisim_seterr(KISIM_EIO, "dataset %s: cannot stat it", path);
    if (S_ISDIR(st.st_mode)) return kisim_seterr(KISIM_EINPUT, "dataset %s: is a directory", path);
    if (!size) return 0;
    if (!S_ISREG(st.st_mode))
        return kisim_seterr(KISIM_EINPUT,
                            "dataset %s: not a regular file (a shard is read whole, so its size "
                            "must be known)",
                            path);
    *size = (size_t)st.st_size;
    return 0;
}

/* A float32 array of exactly n values, each a number within float32's range. */
static int get_floats(const cJSON *o, const char *key, float *dst, int n, const char *path,
                      int line)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\" must be an array of %d numbers", path,
                            line, key, n);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x))
            return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\"[%d] is not a number", path, line, key,
                                i);
        if (!(fabs(x->valuedouble) <= FLT_MAX))
            return kisim_seterr(KISIM_EINPUT,
                                "%s:%d: \"%s\"[%d] = %g is outside float32's range (|x| <= %g)",
                                path, line, key, i, x->valuedouble, (double)FLT_MAX);
        dst[i++] = (float)x->valuedouble;
    }
    return 0;
}

static int get_int(const cJSON *o, const char *key, int lo, int hi, int *out, const char *path,
                   int line)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= lo && x->valuedouble <= hi) ||
        x->valuedouble != floor(x->valuedouble))
        return kisim_seterr(KISIM_EINPUT, "%s:%d: \"%s\" must be an integer in [%d, %d]", path,
                            line, key, lo, hi);
    *out = (int)x->valuedouble;
    return 0;
}

/* The scalar fields, checked before any array is allocated. */
static int parse_scalars(ds_event *ev, const cJSON *o, const char *path, int line)
{
    int err = get_int(o, "n", 1, 100000, &ev->n, path, line);
    if (!err) err = get_int(o, "T", 1, 10000, &ev->T, path, line);
    if (!err) err = get_int(o, "episode", 0, 1 << 30, &ev->episode, path, line);
    if (!err) err = get_int(o, "step", 0, 1 << 30, &ev->step, path, line);
    if (!err) err = get_int(o, "chosen", 0, ev->n - 1, &ev->chosen, path, line);
    if (!err) err = get_int(o, "oracle", 0, ev->n - 1, &ev->oracle, path, line);
    if (err) return err;
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(o, "seed");
    const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, "outcome");
    if (!cJSON_IsNumber(sd) || !(sd->valuedouble >= 0 && sd->valuedouble <= 9007199254740992.0) ||
        sd->valuedouble != floor(sd->valuedouble))
        return kisim_seterr(KISIM_EINPUT, "%s:%d: \"seed\" must be an integer in [0, 2^53]", path,
                            line);
    if (!cJSON_IsString(oc) || dataset_outcome_parse(oc->valuestring) < 0)
        return kisim_seterr(KISIM_EINPUT,
                            "%s:%d: \"outcome\" must be \"running\", "
                            "\"oom_killed\" or \"evicted\"",
                            path, line);
    ev->seed = (uint64_t)sd->valuedouble;
    ev->outcome = dataset_outcome_parse(oc->valuestring);
    /* n * T * F can pass INT_MAX (n and T are each in range): check the nodes array's length
     * in 64 bits before allocating n * T * F floats for it. */
    long long want = (long long)ev->n * ev->T * KISIM_F;
    const cJSON *na = cJSON_GetObjectItemCaseSensitive(o, "nodes");
    if (!cJSON_IsArray(na) || cJSON_GetArraySize(na) != want)
        return kisim_seterr(KISIM_EINPUT,
                            "%s:%d: \"nodes\" must be an array of n * T * %d = %lld "
                            "numbers",
                            path, line, KISIM_F, want);
    return 0;
}

/* node_mask: 0 or 1 per node (the writer's only values, so a file reads back as it was). */
static int get_mask(const cJSON *o, uint8_t *mask, int n, const char *path, int line)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "node_mask");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return kisim_seterr(KISIM_EINPUT, "%s:%d: \"node_mask\" must be an array of %d numbers",
                            path, line, n);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, a)
    {
        if (!cJSON_IsNumber(x) || (x->valuedouble != 0 && x->valuedouble != 1))
            return kisim_seterr(KISIM_EINPUT, "%s:%d: \"node_mask\"[%d] must be 0 or 1", path, line,
                                i);
        mask[i++] = x->valuedouble == 1;
    }
    return 0;
}

static int parse_event(ds_event *ev, const cJSON *o, const char *path, int line)
{
    memset(ev, 0, sizeof *ev);
    int err = parse_scalars(ev, o, path, line);
    if (!err) err = dataset_event_alloc(ev, ev->n, ev->T);
    if (err) return err;
    int n = ev->n;
    err = get_floats(o, "nodes", ev->nodes, n * ev->T * KISIM_F, path, line);
    if (!err) err = get_floats(o, "availability", ev->avail, KISIM_F, path, line);
    if (!err) err = get_floats(o, "pod", ev->pod, KISIM_P, path, line);
    if (!err) err = get_mask(o, ev->mask, n, path, line);
    const cJSON *lab = cJSON_GetObjectItemCaseSensitive(o, "labels");
    if (!err && !cJSON_IsObject(lab))
        err = kisim_seterr(KISIM_EINPUT, "%s:%d: \"labels\" must be an object", path, line);
    if (!err) err = get_floats(lab, "contention", ev->y_contention, n, path, line);
    if (!err) err = get_floats(lab, "latency", ev->y_latency, n, path, line);
    if (!err) err = get_floats(lab, "inflation", ev->inflation, n, path, line);
    if (!err) err = get_floats(lab, "bootstrap", ev->y_bootstrap, n, path, line);
    return err;
}

static int grow(ds_set *d)
{
    if (d->n < d->cap) return 0;
    int cap = d->cap ? 2 * d->cap : 256;
    ds_event *t = realloc(d->ev, (size_t)cap * sizeof *t);
    if (!t) return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
    d->ev = t, d->cap = cap;
    return 0;
}

int dataset_jsonl_parse(ds_set *d, FILE *f, const char *path)
{
    memset(d, 0, sizeof *d);
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    int line = 0, err = 0;
    while (!err && (got = getline(&buf, &cap, f)) > 0) {
        line++;
        if (got <= 1 && buf[0] == '\n') continue;
        json_error je;
        cJSON *o = json_strict_parse(buf, (size_t)got, NULL, &je);
        if (!o)
            err = kisim_seterr(KISIM_EINPUT, "%s:%d: not a JSON object (%s)", path, line, je.text);
        if (!err) err = grow(d);
        if (!err) {
            /* counted at once, so that dataset_free releases a half-parsed event's arrays */
            err = parse_event(&d->ev[d->n], o, path, line);
            d->n++;
        }
        cJSON_Delete(o);
    }
    free(buf);
    if (!err && ferror(f)) err = kisim_seterr(KISIM_EIO, "dataset %s: read error", path);
    if (!err && d->n == 0) err = kisim_seterr(KISIM_EINPUT, "dataset %s: no events", path);
    if (err) dataset_free(d);
    return err;
}

int dataset_read(ds_set *d, const char *path)
{
    if (dataset_is_shard(path)) return dataset_shard_read(d, path);
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "rb");
    if (!f) return kisim_seterr(KISIM_EIO, "dataset %s: cannot open it", path);
    int err = dataset_file_check(f, path, NULL);
    if (!err) err = dataset_jsonl_parse(d, f, path);
    fclose(f);
    return err;
}
