/* score_test.h: shared helpers of the scoring-service tests: a temporary folder with fixture
 * checkpoints, a request over n nodes with inline telemetry, and an injectable clock. */
#ifndef KISIM_SCORE_TEST_H
#define KISIM_SCORE_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/features.h"
#include "scheduler/score.h"
#include "scheduler/score_fixture.h"

static int64_t st_fake_ms = 1000000;
__attribute__((unused)) static int64_t st_clock(void *arg)
{
    (void)arg;
    return st_fake_ms;
}

typedef struct {
    char dir[64], ppo[128], att[128], bad[128];
} st_files;

/* Writes ppo.safetensors (hidden 32), attention.safetensors (D 16) and a corrupt file. */
static int st_make_files(st_files *fx)
{
    snprintf(fx->dir, sizeof fx->dir, "/tmp/kisim-score-test.XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->ppo, sizeof fx->ppo, "%s/ppo.safetensors", fx->dir);
    snprintf(fx->att, sizeof fx->att, "%s/attention.safetensors", fx->dir);
    snprintf(fx->bad, sizeof fx->bad, "%s/corrupt.safetensors", fx->dir);
    FILE *f = fopen(fx->bad, "wb");
    if (!f) return -1;
    static const char bad[] = "\x10\x00\x00\x00\x00\x00\x00\x00{\"broken\": tru"; /* cut short */
    fwrite(bad, 1, sizeof bad - 1, f);
    fclose(f);
    if (score_fixture_ppo(fx->ppo, 32, 7, NULL)) return -1;
    return score_fixture_attention(fx->att, 16, 11);
}

/* st_make_files for a test's main, saying on stderr why it failed: `if (st_begin(&fx)) return 1;`
 */
static int st_begin(st_files *fx)
{
    if (!st_make_files(fx)) return 0;
    fprintf(stderr, "cannot write fixtures: %s\n", kisim_errmsg());
    return -1;
}

static void st_remove_files(const st_files *fx)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", fx->dir);
}

/* A request over n nodes "n0".."n{n-1}" with inline telemetry (T samples): node i's features
 * at fraction (i + 1) / (n + 1) of each feature's range, so the nodes differ. */
typedef struct {
    score_request req;
    char names[64][16];
    const char *name_ptr[64];
    float tele[64 * 4 * KISIM_F];
    uint8_t avail[KISIM_F];
} st_request;

__attribute__((unused)) static void st_request_init(st_request *r, int n, int T)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < n; i++) {
        snprintf(r->names[i], sizeof r->names[i], "n%d", i);
        r->name_ptr[i] = r->names[i];
        for (int t = 0; t < T; t++)
            for (int f = 0; f < KISIM_F; f++)
                r->tele[((size_t)i * T + t) * KISIM_F + f] =
                    (float)feature_denormalize(f, (float)(i + 1) / (float)(n + 1));
    }
    memset(r->avail, 1, sizeof r->avail);
    r->req.verb = SCORE_VERB_BATCHSCORE;
    r->req.n = n;
    r->req.nodes = r->name_ptr;
    r->req.telemetry = r->tele;
    r->req.T = T;
    r->req.available = r->avail;
    r->req.pod[3] = 1; /* latency-sensitive */
    r->req.pod[0] = 0.125f;
}

#endif
