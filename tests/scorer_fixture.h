/* scorer_fixture.h: for the scorer itests: quickstart events recorded with k8s-default placing,
 * in a fresh temp folder, and a scorer trained on them (fit_scorer). */
#ifndef KISIM_SCORER_FIXTURE_H
#define KISIM_SCORER_FIXTURE_H

#include <unistd.h>

#include "agent/fit.h"
#include "test.h"

typedef struct {
    char dir[32], ds[64], model[64];
    ds_set d;
} scorer_fixture;

/* `events` events into fx->d, the scorer o->model trained on them into fx->model. */
static int scorer_fixture_train(scorer_fixture *fx, int events, const fit_options *o)
{
    memset(fx, 0, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/kisim_scorer_XXXXXX");
    if (!mkdtemp(fx->dir)) return -1;
    snprintf(fx->ds, sizeof fx->ds, "%s/ds.jsonl", fx->dir);
    snprintf(fx->model, sizeof fx->model, "%s/model.safetensors", fx->dir);
    char cfg_path[4200];
    const char *src = getenv("KISIM_SOURCE_DIR");
    snprintf(cfg_path, sizeof cfg_path, "%s/configs/quickstart.json", src ? src : ".");
    kisim_config cfg;
    int err = cfg_read(&cfg, cfg_path);
    if (!err) err = dataset_collect(&cfg, "k8s-default", events, 0, fx->ds, 0);
    if (!err) err = dataset_read(&fx->d, fx->ds);
    if (!err) err = fit_scorer(&fx->d, o, fx->model);
    return err;
}

static void scorer_fixture_free(scorer_fixture *fx)
{
    dataset_free(&fx->d);
    unlink(fx->ds);
    unlink(fx->model);
    rmdir(fx->dir);
}

#endif
