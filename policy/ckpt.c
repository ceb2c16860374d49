/* ckpt.c: safetensors writing and reading with KISim's metadata and checks. */
#include "policy/ckpt.h"
#include "common/json_strict.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/cli_args.h"
#include "common/err.h"
#include "common/features.h"
#include "common/file_read.h"

static const char *const dtype_names[] = {"F32", "F64", "I32", "U8", "U64"};
static const size_t dtype_sizes[] = {4, 8, 4, 1, 8};

const char *ckpt_dtype_name(ckpt_dtype d)
{
    return dtype_names[d];
}

size_t ckpt_dtype_size(ckpt_dtype d)
{
    return dtype_sizes[d];
}

int ckpt_add(ckpt *c, const char *name, ckpt_dtype dtype, int ndim, const int64_t *shape,
             const void *data)
{
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 32;
        ckpt_tensor *t = realloc(c->t, (size_t)cap * sizeof *t);
        if (!t) return kisim_seterr(KISIM_ENOMEM, "checkpoint: out of memory");
        c->t = t;
        c->cap = cap;
    }
    ckpt_tensor *t = &c->t[c->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dtype;
    t->ndim = ndim;
    size_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= (size_t)(t->shape[i] = shape[i]);
    t->nbytes = count * dtype_sizes[dtype];
    t->data = data;
    return 0;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "{}");
}

int ckpt_set_meta(ckpt *c, const char *model_kind, const char *hyperparameters,
                  const char *feature_stats)
{
    free(c->model_kind), free(c->features), free(c->hyperparameters), free(c->feature_stats);
    c->model_kind = strdup(model_kind);
    c->features = strdup(feature_order_json());
    c->hyperparameters = dup_or_empty(hyperparameters);
    c->feature_stats = dup_or_empty(feature_stats);
    if (!c->model_kind || !c->features || !c->hyperparameters || !c->feature_stats)
        return kisim_seterr(KISIM_ENOMEM, "checkpoint: out of memory");
    return 0;
}

/* The JSON header; data_offsets are relative to the data section. */
static char *header_json(const ckpt *c)
{
    cJSON *h = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(h, "__metadata__");
    cJSON_AddStringToObject(meta, "kisim_format", CKPT_FORMAT);
    cJSON_AddStringToObject(meta, "model_kind", c->model_kind);
    cJSON_AddStringToObject(meta, "features", c->features);
    cJSON_AddStringToObject(meta, "hyperparameters", c->hyperparameters);
    cJSON_AddStringToObject(meta, "feature_stats", c->feature_stats);
    cJSON_AddStringToObject(meta, "crc32", c->crc32);
    size_t off = 0;
    for (int i = 0; i < c->n; i++) {
        cJSON *t = cJSON_AddObjectToObject(h, c->t[i].name);
        cJSON_AddStringToObject(t, "dtype", dtype_names[c->t[i].dtype]);
        cJSON *shape = cJSON_AddArrayToObject(t, "shape");
        for (int d = 0; d < c->t[i].ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)c->t[i].shape[d]));
        double offs[2] = {(double)off, (double)(off + c->t[i].nbytes)};
        cJSON_AddItemToObject(t, "data_offsets", cJSON_CreateDoubleArray(offs, 2));
        off += c->t[i].nbytes;
    }
    char *s = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    return s;
}

int ckpt_write(ckpt *c, const char *path)
{
    if (!c->model_kind) return kisim_seterr(KISIM_EINPUT, "checkpoint: metadata not set");
    size_t data = 0;
    for (int i = 0; i < c->n; i++)
        data += c->t[i].nbytes;
    uLong crc = crc32(0L, Z_NULL, 0);
    for (int i = 0; i < c->n; i++)
        crc = crc32(crc, c->t[i].data, (uInt)c->t[i].nbytes);
    snprintf(c->crc32, sizeof c->crc32, "%08lx", (unsigned long)crc);
    char *h = header_json(c);
    if (!h) return kisim_seterr(KISIM_ENOMEM, "checkpoint: out of memory");
    size_t hlen = strlen(h), padded = (hlen + 7) / 8 * 8; /* data starts 8-aligned */
    uint8_t *buf = malloc(8 + padded + data);
    if (!buf) {
        free(h);
        return kisim_seterr(KISIM_ENOMEM, "checkpoint: out of memory");
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    memcpy(buf + 8, h, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen);
    size_t off = 8 + padded;
    for (int i = 0; i < c->n; i++) {
        memcpy(buf + off, c->t[i].data, c->t[i].nbytes);
        off += c->t[i].nbytes;
    }
    int err = write_bytes_atomic(path, buf, off);
    free(h);
    free(buf);
    return err;
}

static int bad(const char *path, const char *what)
{
    return kisim_seterr(KISIM_EINPUT, "checkpoint %s: %s", path, what);
}

/* The whole file, bounded: a pipe, a directory or a device is refused by name (ftell gave -1 on a
 * pipe, which became a size of SIZE_MAX and a read past a 1-byte buffer). */
static int read_file(const char *path, uint8_t **out, size_t *size)
{
    char *buf = NULL;
    int err = file_read_regular(path, CKPT_MAX_BYTES, KISIM_EINPUT, "checkpoint", &buf, size);
    *out = (uint8_t *)buf;
    return err;
}

static int meta_string(const cJSON *meta, const char *key, char **out, const char *path)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    if (!cJSON_IsString(v)) {
        char msg[128];
        snprintf(msg, sizeof msg, "__metadata__ lacks \"%s\"", key);
        return bad(path, msg);
    }
    *out = strdup(v->valuestring);
    return *out ? 0 : kisim_seterr(KISIM_ENOMEM, "checkpoint: out of memory");
}

/* Checks that the file's feature order is this build's, naming the first difference. */
static int check_features(const char *path, const char *features)
{
    cJSON *arr = cJSON_Parse(features);
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1, err = 0;
    char msg[256];
    for (int i = 0; i < KISIM_F && !err; i++) {
        const cJSON *el = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsString(el) || strcmp(el->valuestring, kisim_features[i].name) != 0) {
            snprintf(msg, sizeof msg,
                     "feature order does not match this build: position %d is %s, expected \"%s\"",
                     i, cJSON_IsString(el) ? el->valuestring : "missing", kisim_features[i].name);
            err = bad(path, msg);
        }
    }
    if (!err && n != KISIM_F) {
        snprintf(msg, sizeof msg,
                 "feature order does not match this build: %d features, expected %d", n, KISIM_F);
        err = bad(path, msg);
    }
    cJSON_Delete(arr);
    return err;
}

/* Adds the header entry t as a tensor pointing into the data section; *end gets its end
 * offset so the caller can check that the tensors cover the whole section. */
static int parse_tensor(ckpt *c, const cJSON *t, const uint8_t *data, size_t data_size, size_t *end,
                        const char *path)
{
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    int d = -1;
    for (int i = 0; cJSON_IsString(dt) && i < 5; i++)
        if (!strcmp(dt->valuestring, dtype_names[i])) d = i;
    if (d < 0 || !cJSON_IsArray(sh) || cJSON_GetArraySize(sh) > 4 || !cJSON_IsArray(of) ||
        cJSON_GetArraySize(of) != 2)
        return bad(path, "malformed tensor entry in the header");
    int64_t shape[4] = {0};
    int ndim = cJSON_GetArraySize(sh);
    for (int i = 0; i < ndim; i++)
        shape[i] = (int64_t)cJSON_GetArrayItem(sh, i)->valuedouble;
    double b = cJSON_GetArrayItem(of, 0)->valuedouble, e = cJSON_GetArrayItem(of, 1)->valuedouble;
    if (b < 0 || e < b || e > (double)data_size)
        return bad(path, "truncated: a tensor ends past the file's end");
    int err = ckpt_add(c, t->string, (ckpt_dtype)d, ndim, shape, data + (size_t)b);
    if (err) return err;
    if ((double)c->t[c->n - 1].nbytes != e - b)
        return bad(path, "malformed header: a tensor's shape and offsets disagree");
    *end = (size_t)e;
    return 0;
}

int ckpt_read(ckpt *c, const char *path, const char *want_kind)
{
    memset(c, 0, sizeof *c);
    int err = read_file(path, &c->file, &c->file_size);
    if (err) return err;
    uint64_t hlen = 0;
    for (int i = 0; i < 8 && c->file_size >= 8; i++)
        hlen |= (uint64_t)c->file[i] << (8 * i);
    if (c->file_size < 8)
        err = bad(path, "truncated: shorter than the 8-byte header length");
    else if (hlen > c->file_size - 8)
        err = bad(path, "truncated: the header runs past the file's end");
    if (err) {
        ckpt_free(c);
        return err;
    }
    cJSON *h = json_strict_parse((const char *)c->file + 8, (size_t)hlen, NULL, NULL);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
    if (!cJSON_IsObject(h) || !cJSON_IsObject(meta))
        err = bad(path, "not a safetensors file with __metadata__");
    char *format = NULL, *crc = NULL;
    if (!err) err = meta_string(meta, "kisim_format", &format, path);
    if (!err && strcmp(format, CKPT_FORMAT) != 0) err = bad(path, "unsupported kisim_format");
    if (!err) err = meta_string(meta, "model_kind", &c->model_kind, path);
    if (!err) err = meta_string(meta, "features", &c->features, path);
    if (!err) err = meta_string(meta, "hyperparameters", &c->hyperparameters, path);
    if (!err) err = meta_string(meta, "feature_stats", &c->feature_stats, path);
    if (!err) err = meta_string(meta, "crc32", &crc, path);
    size_t data_off = 8 + (size_t)hlen, data_size = c->file_size - data_off, end = 0;
    for (const cJSON *t = h ? h->child : NULL; !err && t; t = t->next) {
        if (!strcmp(t->string, "__metadata__")) continue;
        size_t e = 0;
        err = parse_tensor(c, t, c->file + data_off, data_size, &e, path);
        if (e > end) end = e;
    }
    if (!err && end != data_size)
        err = bad(path, "truncated or padded: the data section's size does not match the header");
    if (!err) {
        uLong sum = crc32(crc32(0L, Z_NULL, 0), c->file + data_off, (uInt)data_size);
        snprintf(c->crc32, sizeof c->crc32, "%08lx", (unsigned long)sum);
        if (strcmp(c->crc32, crc) != 0) {
            char msg[128];
            snprintf(msg, sizeof msg, "bad checksum: the data's crc32 is %s, the metadata says %s",
                     c->crc32, crc);
            err = bad(path, msg);
        }
    }
    if (!err && want_kind && strcmp(c->model_kind, want_kind) != 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "wrong model kind: \"%s\", expected \"%s\"", c->model_kind,
                 want_kind);
        err = bad(path, msg);
    }
    if (!err) err = check_features(path, c->features);
    free(format);
    free(crc);
    cJSON_Delete(h);
    if (err) ckpt_free(c);
    return err;
}

const ckpt_tensor *ckpt_find(const ckpt *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->t[i].name, name)) return &c->t[i];
    return NULL;
}

void ckpt_free(ckpt *c)
{
    free(c->t);
    free(c->model_kind), free(c->features), free(c->hyperparameters), free(c->feature_stats);
    free(c->file);
    memset(c, 0, sizeof *c);
}

int ckpt_copy(const ckpt *c, const char *name, ckpt_dtype dtype, size_t count, void *dst,
              const char *path)
{
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t)
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: tensor \"%s\" is missing", path, name);
    if (t->dtype != dtype || t->nbytes != count * dtype_sizes[dtype])
        return kisim_seterr(KISIM_EINPUT,
                            "checkpoint %s: tensor \"%s\" has dtype %s and %zu bytes, expected %s "
                            "and %zu",
                            path, name, dtype_names[t->dtype], t->nbytes, dtype_names[dtype],
                            count * dtype_sizes[dtype]);
    memcpy(dst, t->data, t->nbytes);
    return 0;
}

int ckpt_hyper_int(const ckpt *c, const char *key, int lo, int hi, int *out, const char *path)
{
    cJSON *h = cJSON_Parse(c->hyperparameters);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, key);
    int ok = cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi;
    if (ok) *out = (int)v->valuedouble;
    cJSON_Delete(h);
    if (!ok)
        return kisim_seterr(KISIM_EINPUT, "checkpoint %s: hyperparameters lack a valid \"%s\"",
                            path, key);
    return 0;
}
