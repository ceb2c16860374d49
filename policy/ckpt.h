/* ckpt.h: the checkpoint format, plain safetensors (docs/ARCHITECTURE.md, "Models and the
 * policy file"):
 * 8-byte little-endian header length, a JSON header with dtype, shape and data_offsets per
 * tensor, then the data. Its __metadata__ holds exactly kisim_format (version), model_kind,
 * features (the feature order, a JSON array), hyperparameters and feature_stats (JSON objects
 * as strings) and crc32 (zlib's CRC-32 of the data section, 8 hex digits). Files are written
 * atomically; reading checks the structure, the checksum, the model kind and the feature order
 * and says which one failed. */
#ifndef KISIM_CKPT_H
#define KISIM_CKPT_H

#include <stddef.h>
#include <stdint.h>

#define CKPT_FORMAT "1"
#define CKPT_NAME_LEN 64
/* The largest checkpoint file read (the whole file is held in memory): far above any model
 * KISim trains (an attention scorer is about 1 MB), far below the scoring pod's 1 GiB. */
#define CKPT_MAX_BYTES ((size_t)256 << 20)

typedef enum { CKPT_F32, CKPT_F64, CKPT_I32, CKPT_U8, CKPT_U64 } ckpt_dtype;

typedef struct {
    char name[CKPT_NAME_LEN];
    ckpt_dtype dtype;
    int ndim;
    int64_t shape[4];
    const void *data; /* writer: borrowed until ckpt_write; reader: points into the file */
    size_t nbytes;
} ckpt_tensor;

typedef struct {
    ckpt_tensor *t; /* owned */
    int n, cap;
    char *model_kind, *features, *hyperparameters, *feature_stats; /* owned strings */
    char crc32[9];
    uint8_t *file; /* reader: the whole file, owned */
    size_t file_size;
} ckpt;

/* Writer: declare tensors (data borrowed), set the metadata, write. */
int ckpt_add(ckpt *c, const char *name, ckpt_dtype dtype, int ndim, const int64_t *shape,
             const void *data);
/* Sets the metadata (copied); features defaults to this build's feature order. */
int ckpt_set_meta(ckpt *c, const char *model_kind, const char *hyperparameters,
                  const char *feature_stats);
int ckpt_write(ckpt *c, const char *path);

/* Reader: loads and verifies path. want_kind NULL accepts any kind. Errors (KISIM_EINPUT,
 * KISIM_EIO) name the file and what is wrong: not a regular file (pipe, directory, device),
 * larger than CKPT_MAX_BYTES, truncated, bad header, bad checksum, wrong model kind, feature
 * order. */
int ckpt_read(ckpt *c, const char *path, const char *want_kind);
const ckpt_tensor *ckpt_find(const ckpt *c, const char *name);
/* Copies tensor `name`, which must have `dtype` and `count` elements, into dst (tensor data
 * has no alignment guarantee, so readers copy). KISIM_EINPUT naming file and tensor otherwise. */
int ckpt_copy(const ckpt *c, const char *name, ckpt_dtype dtype, size_t count, void *dst,
              const char *path);
/* An integer in [lo, hi] from the hyperparameters JSON, or KISIM_EINPUT naming the key. */
int ckpt_hyper_int(const ckpt *c, const char *key, int lo, int hi, int *out, const char *path);
void ckpt_free(ckpt *c);
const char *ckpt_dtype_name(ckpt_dtype d);
size_t ckpt_dtype_size(ckpt_dtype d);

/* ckpt_scorer.c: the parts every model's checkpoint shares. */
struct cJSON;
/* The hyperparameters text (malloc'd) of `hyper`, which it consumes, with `extra` (a JSON
 * object text, or NULL) added under "train". */
char *ckpt_hyper_json(struct cJSON *hyper, const char *extra);
/* The feature_stats metadata of the supervised scorers: {"mean": {feature: x}, "inv_std":
 * {feature: y}} over the feature table (malloc'd). */
char *ckpt_feature_scale_json(const float *mean, const float *inv_std);
/* Writes a supervised scorer's checkpoint: c holds the model's own tensors; this adds
 * input.mean and input.inv_std (F32 [KISIM_F]), hyperparameters `hyper` (consumed) with `extra`
 * under "train", their feature_stats, and writes path. err is the caller's own steps' result:
 * when it is an error nothing is written and it is returned. Frees c either way. */
int ckpt_write_scorer(ckpt *c, int err, const char *kind, struct cJSON *hyper, const char *extra,
                      const float *mean, const float *inv_std, const char *path);

#endif
