/* dataset_shard.c: the compact binary shard format of scheduling events (agent/DATASET.md):
 *
 *   "KISIMDS1" | u64 LE: index length H | H bytes: JSON-lines index | raw little-endian arrays
 *
 * The index's first line describes the file, each further line one event: its scalar fields and
 * the byte offset of its arrays after the index. An event's arrays, in order: nodes f32[n*T*F],
 * availability f32[F], pod f32[P], the labels contention, latency, inflation and bootstrap
 * f32[n] each, node_mask u8[n], then zero bytes to a multiple of 4. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/fit.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "common/file_read.h"
#include "common/json_strict.h"
#include "spaces/spaces.h"

#define SHARD_MAGIC "KISIMDS1"
/* The largest shard read (held in memory whole while it is parsed). */
#define SHARD_MAX_BYTES ((size_t)4 << 30)

static size_t record_bytes(int n, int T)
{
    size_t f = (size_t)n * T * KISIM_F + KISIM_F + KISIM_P + 4 * (size_t)n;
    return (f * 4 + (size_t)n + 3) / 4 * 4;
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static int append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n > *cap) {
        size_t c = (*len + n) * 2;
        char *t = realloc(*buf, c);
        if (!t) return kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
        *buf = t, *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    return 0;
}

int dataset_shard_write(const ds_set *d, const char *path)
{
    if (!host_is_le())
        return kisim_seterr(KISIM_EINPUT,
                            "dataset %s: the shard format is little-endian; this "
                            "host is not",
                            path);
    char *idx = NULL, *data = NULL, line[512];
    size_t il = 0, ic = 0, dl = 0, dc = 0;
    int n = snprintf(line, sizeof line,
                     "{\"format\": \"kisim-dataset-shard\", \"version\": 1, "
                     "\"events\": %d, \"features\": %d, \"pod\": %d}\n",
                     d->n, KISIM_F, KISIM_P);
    int err = append(&idx, &il, &ic, line, (size_t)n);
    static const char zero[4];
    for (int k = 0; k < d->n && !err; k++) {
        const ds_event *e = &d->ev[k];
        n = snprintf(line, sizeof line,
                     "{\"episode\": %d, \"seed\": %llu, \"step\": %d, \"n\": %d, "
                     "\"T\": %d, \"chosen\": %d, \"oracle\": %d, \"outcome\": \"%s\", "
                     "\"offset\": %zu}\n",
                     e->episode, (unsigned long long)e->seed, e->step, e->n, e->T, e->chosen,
                     e->oracle, dataset_outcome_name(e->outcome), dl);
        err = append(&idx, &il, &ic, line, (size_t)n);
        size_t start = dl, nodes = (size_t)e->n * e->T * KISIM_F;
        if (!err) err = append(&data, &dl, &dc, e->nodes, nodes * 4);
        if (!err) err = append(&data, &dl, &dc, e->avail, sizeof e->avail);
        if (!err) err = append(&data, &dl, &dc, e->pod, sizeof e->pod);
        /* the four label arrays and the mask are contiguous in memory (dataset_event_alloc) */
        if (!err) err = append(&data, &dl, &dc, e->y_contention, (size_t)e->n * 17);
        size_t pad = record_bytes(e->n, e->T) - (dl - start);
        if (!err) err = append(&data, &dl, &dc, zero, pad);
    }
    char *file = NULL;
    size_t fl = 0, fc = 0;
    uint64_t h = il;
    if (!err) err = append(&file, &fl, &fc, SHARD_MAGIC, 8);
    if (!err) err = append(&file, &fl, &fc, &h, 8);
    if (!err) err = append(&file, &fl, &fc, idx, il);
    if (!err && dl) err = append(&file, &fl, &fc, data, dl);
    if (!err) err = write_bytes_atomic(path, file, fl);
    free(idx);
    free(data);
    free(file);
    return err;
}

static int idx_int(const cJSON *o, const char *key, double lo, double hi, double *out,
                   const char *path, int line)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x) || x->valuedouble < lo || x->valuedouble > hi)
        return kisim_seterr(KISIM_EINPUT,
                            "%s: index line %d: \"%s\" must be a number in [%.0f, "
                            "%.0f]",
                            path, line, key, lo, hi);
    *out = x->valuedouble;
    return 0;
}

/* One index line into e, its arrays copied from data [size]. */
static int read_event(ds_event *e, const cJSON *o, const char *data, size_t size, const char *path,
                      int line)
{
    double v[8];
    static const char *const keys[] = {"n",      "T",      "episode", "step",
                                       "chosen", "oracle", "seed",    "offset"};
    const double hi[] = {100000,      10000, 1 << 30, 1 << 30, 99999, 99999, 9007199254740992.0,
                         (double)size};
    int err = 0;
    for (int i = 0; i < 8 && !err; i++)
        err = idx_int(o, keys[i], 0, hi[i], &v[i], path, line);
    const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, "outcome");
    if (!err && (!cJSON_IsString(oc) || dataset_outcome_parse(oc->valuestring) < 0))
        err = kisim_seterr(KISIM_EINPUT,
                           "%s: index line %d: \"outcome\" must be \"running\", "
                           "\"oom_killed\" or \"evicted\"",
                           path, line);
    int n = (int)v[0], T = (int)v[1];
    size_t off = (size_t)v[7];
    if (!err && (n < 1 || T < 1 || v[4] >= n || v[5] >= n || off + record_bytes(n, T) > size))
        err = kisim_seterr(KISIM_EINPUT,
                           "%s: index line %d: n %d, T %d, chosen/oracle below n, "
                           "and the arrays (%zu bytes at offset %zu) inside the file's %zu",
                           path, line, n, T, record_bytes(n, T), off, size);
    if (!err) err = dataset_event_alloc(e, n, T);
    if (err) return err;
    e->episode = (int)v[2], e->step = (int)v[3], e->chosen = (int)v[4], e->oracle = (int)v[5];
    e->seed = (uint64_t)v[6];
    e->outcome = dataset_outcome_parse(oc->valuestring);
    const char *p = data + off;
    size_t nodes = (size_t)n * T * KISIM_F * 4;
    memcpy(e->nodes, p, nodes), p += nodes;
    memcpy(e->avail, p, sizeof e->avail), p += sizeof e->avail;
    memcpy(e->pod, p, sizeof e->pod), p += sizeof e->pod;
    memcpy(e->y_contention, p, (size_t)n * 17);
    for (int i = 0; i < n; i++)
        e->mask[i] = e->mask[i] != 0;
    return 0;
}

int dataset_shard_read(ds_set *d, const char *path)
{
    memset(d, 0, sizeof *d);
    if (!host_is_le())
        return kisim_seterr(KISIM_EINPUT,
                            "dataset %s: the shard format is little-endian; this "
                            "host is not",
                            path);
    char *buf = NULL;
    size_t size = 0; /* a regular file only, bounded (common/file_read.h) */
    int err = file_read_regular(path, SHARD_MAX_BYTES, KISIM_EINPUT, "dataset", &buf, &size);
    if (err) return err;
    if (size < 16)
        err = kisim_seterr(KISIM_EINPUT, "dataset %s: not a shard file (%zu bytes)", path, size);
    uint64_t h = 0;
    if (!err) memcpy(&h, buf + 8, 8);
    if (!err && (memcmp(buf, SHARD_MAGIC, 8) || h > (uint64_t)size - 16))
        err = kisim_seterr(KISIM_EINPUT,
                           "dataset %s: not a shard file (magic \"%s\" and an "
                           "index inside the file expected)",
                           path, SHARD_MAGIC);
    const char *data = buf ? buf + 16 + h : NULL;
    size_t dsize = err ? 0 : (size_t)size - 16 - h;
    char *p = err ? NULL : buf + 16, *end = p ? p + h : NULL;
    for (int line = 1; !err && p < end; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        cJSON *o = json_strict_parse(p, (size_t)(nl - p), NULL, NULL);
        p = nl + 1;
        if (!cJSON_IsObject(o))
            err = kisim_seterr(KISIM_EINPUT,
                               "dataset %s: index line %d is "
                               "not a JSON object",
                               path, line);
        else if (line == 1) {
            const cJSON *fm = cJSON_GetObjectItemCaseSensitive(o, "format");
            const cJSON *fe = cJSON_GetObjectItemCaseSensitive(o, "features");
            const cJSON *po = cJSON_GetObjectItemCaseSensitive(o, "pod");
            if (!cJSON_IsString(fm) || strcmp(fm->valuestring, "kisim-dataset-shard") ||
                !cJSON_IsNumber(fe) || fe->valueint != KISIM_F || !cJSON_IsNumber(po) ||
                po->valueint != KISIM_P)
                err = kisim_seterr(KISIM_EINPUT,
                                   "dataset %s: index line 1 must name format "
                                   "\"kisim-dataset-shard\" with %d features and %d pod values",
                                   path, KISIM_F, KISIM_P);
        } else {
            if (d->n == d->cap) {
                int cap = d->cap ? 2 * d->cap : 256;
                ds_event *t = realloc(d->ev, (size_t)cap * sizeof *t);
                if (!t)
                    err = kisim_seterr(KISIM_ENOMEM, "dataset: out of memory");
                else
                    d->ev = t, d->cap = cap;
            }
            if (!err) {
                memset(&d->ev[d->n], 0, sizeof d->ev[d->n]);
                err = read_event(&d->ev[d->n++], o, data, dsize, path, line);
            }
        }
        cJSON_Delete(o);
    }
    free(buf);
    if (!err && d->n == 0) err = kisim_seterr(KISIM_EINPUT, "dataset %s: no events", path);
    if (err) dataset_free(d);
    return err;
}
