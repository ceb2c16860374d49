/* test_ckpt.c: the checkpoint format. A round trip keeps every byte and the metadata; a
 * truncated file, a flipped data byte, the wrong model kind, a different feature order and a
 * file that is not safetensors are each rejected with a message saying which. */
#include "policy/ckpt.h"

#include <stdint.h>
#include <unistd.h>

#include "common/err.h"
#include "common/features.h"
#include "test.h"

static char dir[] = "/tmp/kisim-ckpt-XXXXXX", path[256];
static float weights[6] = {1.5f, -2, 3, 0.25f, 5, 6};
static double stats[2] = {0.5, 123.0};

static int write_sample(const char *features)
{
    ckpt c;
    memset(&c, 0, sizeof c);
    int64_t ws[2] = {2, 3}, ss[1] = {2};
    int err = ckpt_add(&c, "layer.weight", CKPT_F32, 2, ws, weights);
    if (!err) err = ckpt_add(&c, "norm.mean", CKPT_F64, 1, ss, stats);
    if (!err) err = ckpt_set_meta(&c, "ppo-cluster", "{\"hidden\":3}", "{\"cpu_utilization\":{}}");
    if (!err && features) {
        free(c.features);
        c.features = strdup(features);
    }
    if (!err) err = ckpt_write(&c, path);
    ckpt_free(&c);
    return err;
}

static uint8_t *slurp(size_t *n)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    if (fread(b, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return b;
}

static void spill(const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(b, 1, n, f);
    fclose(f);
}

static void expect_reject(const char *want_kind, const char *fragment)
{
    ckpt c;
    int err = ckpt_read(&c, path, want_kind);
    CHECK(err == KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), fragment);
    CHECK_STR_CONTAINS(kisim_errmsg(), path);
}

static void test_round_trip(void)
{
    CHECK(write_sample(NULL) == 0);
    ckpt c;
    CHECK(ckpt_read(&c, path, "ppo-cluster") == 0);
    const ckpt_tensor *w = ckpt_find(&c, "layer.weight"), *s = ckpt_find(&c, "norm.mean");
    CHECK(w && w->dtype == CKPT_F32 && w->ndim == 2 && w->shape[0] == 2 && w->shape[1] == 3);
    CHECK(w && memcmp(w->data, weights, sizeof weights) == 0);
    CHECK(s && s->dtype == CKPT_F64 && memcmp(s->data, stats, sizeof stats) == 0);
    CHECK(!strcmp(c.model_kind, "ppo-cluster"));
    CHECK(!strcmp(c.hyperparameters, "{\"hidden\":3}"));
    CHECK(!strcmp(c.features, feature_order_json()));
    CHECK(strlen(c.crc32) == 8);
    ckpt_free(&c);
    /* The header length is 8-aligned, so the data starts aligned. */
    size_t n;
    uint8_t *b = slurp(&n);
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++)
        hlen |= (uint64_t)b[i] << (8 * i);
    CHECK(hlen % 8 == 0 && 8 + hlen + sizeof weights + sizeof stats == n);
    CHECK(memcmp(b + 8 + hlen, weights, sizeof weights) == 0);
    free(b);
    /* no temp file left beside it */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", dir);
    FILE *p = popen(cmd, "r");
    int count = -1;
    if (p && fscanf(p, "%d", &count) != 1) count = -1;
    if (p) pclose(p);
    CHECK(count == 0);
}

static void test_rejections(void)
{
    size_t n;
    CHECK(write_sample(NULL) == 0);
    uint8_t *b = slurp(&n);
    spill(b, n - 5);
    expect_reject(NULL, "truncated");
    spill(b, 6);
    expect_reject(NULL, "truncated");
    b[n - 3] ^= 0x40; /* a data byte */
    spill(b, n);
    expect_reject(NULL, "bad checksum");
    b[n - 3] ^= 0x40;
    spill(b, n);
    expect_reject("attention-scorer",
                  "wrong model kind: \"ppo-cluster\", expected \"attention-scorer\"");
    free(b);
    /* the first two features swapped */
    char swapped[1024];
    snprintf(swapped, sizeof swapped, "[\"%s\",\"%s\"%s", kisim_features[1].name,
             kisim_features[0].name, strchr(strchr(feature_order_json() + 1, ',') + 1, ','));
    CHECK(write_sample(swapped) == 0);
    expect_reject(NULL, "feature order does not match this build: position 0 is cpu_throttle_rate");
    spill((const uint8_t *)"definitely not a safetensors file", 33);
    expect_reject(NULL, "checkpoint");
    unlink(path);
    ckpt c;
    CHECK(ckpt_read(&c, path, NULL) == KISIM_EIO);
    CHECK_STR_CONTAINS(kisim_errmsg(), "cannot read");
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    RUN(test_round_trip);
    RUN(test_rejections);
    unlink(path);
    rmdir(dir);
    TEST_MAIN_END();
}
