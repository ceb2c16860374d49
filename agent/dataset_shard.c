/* dataset_shard.c: the compact binary shard format of scheduling events (agent/DATASET.md):
 *
 *   "KISIMDS1" | u64 LE: index length H | H bytes: JSON-lines index | raw little-endian arrays
 *
 * The index's first line describes the file, each further line one event: its scalar fields and
 * the byte offset of its arrays after the index. An event's arrays, in order: nodes f32[n*T*F],
 * availability f32[F], pod f32[P], the labels contention, latency, inflation and bootstrap
 * f32[n] each, node_mask u8[n], then zero bytes to a multiple of 4. */
#include <cjson/cJSON.h>
#include <math.h>
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

int dataset_shard_format(const ds_set *d, char **file, size_t *fl)
{
    char *idx = NULL, *data = NULL, line[512];
    size_t il = 0, ic = 0, dl = 0, dc = 0, fc = 0;
    *file = NULL, *fl = 0;
    int n = snprintf(line, sizeof line,
                     "{\"format\": \"kisim-dataset-shard\", \"version\": 1, "
                     "\"events\": %d, \"features\": %d, \"pod\": %d}\n",
                     d->n, KISIM_F, KISIM_P);
    int err = dataset_check_writable(d);
    if (!err) err = append(&idx, &il, &ic, line, (size_t)n);
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
    uint64_t h = il;
    if (!err) err = append(file, fl, &fc, SHARD_MAGIC, 8);
    if (!err) err = append(file, fl, &fc, &h, 8);
    if (!err) err = append(file, fl, &fc, idx, il);
    if (!err && dl) err = append(file, fl, &fc, data, dl);
    free(idx);
    free(data);
    if (err) free(*file), *file = NULL, *fl = 0;
    return err;
}

int dataset_shard_write(const ds_set *d, const char *path)
{
    if (!host_is_le())
        return kisim_seterr(KISIM_EINPUT,
                            "dataset %s: the shard format is little-endian; this "
                            "host is not",
                            path);
    char *file;
    size_t len;
    int err = dataset_shard_format(d, &file, &len);
    if (!err) err = write_bytes_atomic(path, file, len);
    free(file);
    return err;
}

static int idx_int(const cJSON *o, const char *key, double lo, double hi, double *out,
                   const char *path, int line)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= lo && x->valuedouble <= hi) ||
        x->valuedouble != floor(x->valuedouble))
        return kisim_seterr(KISIM_EINPUT,
                            "%s: index line %d: \"%s\" must be an integer in [%.0f, %.0f]", path,
                            line, key, lo, hi);
    *out = x->valuedouble;
    return 0;
}

/* The copied arrays hold float32 bit patterns as stored: inf and NaN are refused (the JSONL
 * writer would turn them into null), and so is a node_mask byte other than 0 or 1. */
static int check_values(const ds_event *e, const char *path, int line)
{
    const char *field;
    int i;
    if (dataset_event_nonfinite(e, &field, &i))
        return kisim_seterr(KISIM_EINPUT,
                            "%s: index line %d (event %d): \"%s\"[%d] is not a finite number", path,
                            line, line - 1, field, i);
    for (i = 0; i < e->n; i++)
        if (e->mask[i] > 1)
            return kisim_seterr(KISIM_EINPUT,
                                "%s: index line %d (event %d): \"node_mask\"[%d] is %d, not 0 or 1",
                                path, line, line - 1, i, e->mask[i]);
    return 0;
}

/* One index line into e, its arrays copied from data [size]. Its arrays must start at *next,
 * where the previous event's ended: events in file order, none overlapping another or leaving a
 * gap, so the events read never hold more bytes than the file (a few index lines pointing at one
 * large record would otherwise each allocate it). *next moves past them. */
static int read_event(ds_event *e, const cJSON *o, const char *data, size_t size, size_t *next,
                      const char *path, int line)
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
    if (err) return err;
    int n = (int)v[0], T = (int)v[1];
    size_t off = (size_t)v[7], bytes = record_bytes(n, T);
    if (n < 1 || T < 1 || v[4] >= n || v[5] >= n || off + bytes > size)
        return kisim_seterr(KISIM_EINPUT,
                            "%s: index line %d: n %d, T %d, chosen/oracle below n, "
                            "and the arrays (%zu bytes at offset %zu) inside the file's %zu",
                            path, line, n, T, bytes, off, size);
    if (off != *next)
        return kisim_seterr(KISIM_EINPUT,
                            "%s: index line %d: \"offset\" %zu, expected %zu (where the previous "
                            "event's arrays end: events in order, none overlapping)",
                            path, line, off, *next);
    if ((err = dataset_event_alloc(e, n, T))) return err;
    *next = off + bytes;
    e->episode = (int)v[2], e->step = (int)v[3], e->chosen = (int)v[4], e->oracle = (int)v[5];
    e->seed = (uint64_t)v[6];
    e->outcome = dataset_outcome_parse(oc->valuestring);
    const char *p = data + off;
    size_t nodes = (size_t)n * T * KISIM_F * 4;
    memcpy(e->nodes, p, nodes), p += nodes;
    memcpy(e->avail, p, sizeof e->avail), p += sizeof e->avail;
    memcpy(e->pod, p, sizeof e->pod), p += sizeof e->pod;
    memcpy(e->y_contention, p, (size_t)n * 17);
    return check_values(e, path, line);
}

/* Index line 1: the file's description; its event count is checked against the lines after. */
static int read_header(const cJSON *o, int *events, const char *path)
{
    const cJSON *fm = cJSON_GetObjectItemCaseSensitive(o, "format");
    const cJSON *ve = cJSON_GetObjectItemCaseSensitive(o, "version");
    const cJSON *fe = cJSON_GetObjectItemCaseSensitive(o, "features");
    const cJSON *po = cJSON_GetObjectItemCaseSensitive(o, "pod");
    if (!cJSON_IsString(fm) || strcmp(fm->valuestring, "kisim-dataset-shard") ||
        !cJSON_IsNumber(ve) || ve->valuedouble != 1 || !cJSON_IsNumber(fe) ||
        fe->valuedouble != KISIM_F || !cJSON_IsNumber(po) || po->valuedouble != KISIM_P)
        return kisim_seterr(KISIM_EINPUT,
                            "dataset %s: index line 1 must name format "
                            "\"kisim-dataset-shard\" version 1 with %d features and %d pod values",
                            path, KISIM_F, KISIM_P);
    double e;
    int err = idx_int(o, "events", 0, 1 << 30, &e, path, 1);
    *events = (int)e;
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

int dataset_shard_parse(ds_set *d, const char *buf, size_t size, const char *path)
{
    memset(d, 0, sizeof *d);
    uint64_t h = 0;
    if (size >= 16) memcpy(&h, buf + 8, 8);
    if (size < 16 || memcmp(buf, SHARD_MAGIC, 8) || h > (uint64_t)size - 16)
        return kisim_seterr(KISIM_EINPUT,
                            "dataset %s: not a shard file (magic \"%s\" and an "
                            "index inside the file expected)",
                            path, SHARD_MAGIC);
    const char *data = buf + 16 + h, *p = buf + 16, *end = p + h;
    size_t dsize = size - 16 - (size_t)h, next = 0;
    int err = 0, events = -1, line;
    for (line = 1; !err && p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        cJSON *o = json_strict_parse(p, (size_t)(nl - p), NULL, NULL);
        p = nl + 1;
        if (!cJSON_IsObject(o))
            err = kisim_seterr(KISIM_EINPUT, "dataset %s: index line %d is not a JSON object", path,
                               line);
        else if (line == 1)
            err = read_header(o, &events, path);
        else if (!(err = grow(d))) {
            memset(&d->ev[d->n], 0, sizeof d->ev[d->n]);
            err = read_event(&d->ev[d->n++], o, data, dsize, &next, path, line);
        }
        cJSON_Delete(o);
    }
    if (!err && events < 0) err = kisim_seterr(KISIM_EINPUT, "dataset %s: an empty index", path);
    if (!err && d->n != events)
        err = kisim_seterr(KISIM_EINPUT,
                           "dataset %s: index line 1 announces %d events, the index lists %d", path,
                           events, d->n);
    if (!err && next != dsize)
        err = kisim_seterr(KISIM_EINPUT,
                           "dataset %s: %zu bytes after the last event's arrays (the events "
                           "cover %zu of the %zu)",
                           path, dsize - next, next, dsize);
    if (!err && d->n == 0) err = kisim_seterr(KISIM_EINPUT, "dataset %s: no events", path);
    if (err) dataset_free(d);
    return err;
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
    if (!err && size < 16)
        err = kisim_seterr(KISIM_EINPUT, "dataset %s: not a shard file (%zu bytes)", path, size);
    if (!err) err = dataset_shard_parse(d, buf, size, path);
    free(buf);
    return err;
}
