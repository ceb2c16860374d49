/* test_env_actions.c: masks and invalid actions. No baseline ever picks a masked node; an
 * invalid action is a clear error in `error` mode (and changes nothing), a no-op with the
 * configured reward in `penalty` mode; calls out of order are refused. */
#include "common/config.h"
#include "common/err.h"
#include "env/baselines/baseline.h"
#include "env/env.h"
#include "test.h"

typedef struct {
    kisim_env *e;
    env_spaces sp;
    float obs[8192], info[KISIM_N_INFO], reward;
    uint8_t mask[64], term, trunc;
} fixture;

/* Quickstart, with 6 nodes out of N_max = 16 so the mask has holes, and busy nodes. */
static int open_env(fixture *f, const char *invalid_action)
{
    char json[512];
    snprintf(
        json, sizeof json,
        "{\"env\": {\"max_nodes\": 16, \"invalid_action\": \"%s\", \"invalid_penalty\": -7.5},"
        " \"cluster\": {\"nodes\": 6}, \"workload\": {\"background\": {\"initial_pods\": 40}}}",
        invalid_action);
    kisim_config cfg;
    memset(f, 0, sizeof *f);
    int err = cfg_parse(&cfg, json, "t.json", ".");
    if (!err) err = env_init(&f->e, &cfg);
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    if (err) return err;
    env_get_spaces(f->e, &f->sp);
    return env_reset(f->e, 1000001, f->obs, f->mask);
}

static int step(fixture *f, int node, int scale)
{
    int32_t a[2] = {node, scale};
    return env_step(f->e, a, f->obs, f->mask, &f->reward, &f->term, &f->trunc, f->info);
}

static void test_baselines_never_pick_masked_nodes(void)
{
    for (const char *const *name = baseline_names(); *name; name++) {
        fixture f;
        if (open_env(&f, "error")) return;
        baseline *sc;
        CHECK(baseline_create(&sc, *name, 3) == 0);
        int steps = 0, holes = 0;
        for (int ep = 0; ep < 3; ep++) {
            f.term = f.trunc = 0;
            env_reset(f.e, 1000000 + (uint64_t)ep, f.obs, f.mask);
            while (!f.term && !f.trunc) {
                sched_view v;
                env_sched_view(f.e, f.obs, f.mask, &v);
                int node = baseline_pick(sc, &v);
                CHECK_MSG(node >= 0 && f.mask[node], "%s picked masked node %d", *name, node);
                for (int i = 0; i < 6; i++)
                    holes += !f.mask[i];
                int scale = hpa_scale_action(v.service, f.mask + f.sp.n_max);
                CHECK(f.mask[f.sp.n_max + scale]);
                if (step(&f, node, scale)) break;
                steps++;
            }
        }
        CHECK(steps > 100);
        CHECK_MSG(holes > 0, "%s: the test never saw an existing node masked", *name);
        baseline_free(sc);
        env_free(f.e);
    }
}

static void test_error_mode(void)
{
    fixture f, ref;
    if (open_env(&f, "error") || open_env(&ref, "error")) return;
    int masked = 6; /* beyond the cluster's 6 nodes */
    CHECK(step(&f, masked, 1) == KISIM_EINVALID_ACTION);
    CHECK_STR_CONTAINS(kisim_errmsg(), "node 6 is masked (no such node in this cluster)");
    CHECK(step(&f, 16, 1) == KISIM_EINVALID_ACTION);
    CHECK_STR_CONTAINS(kisim_errmsg(), "node 16 is outside [0, 16)");
    CHECK(step(&f, -1, 1) == KISIM_EINVALID_ACTION);
    int node = 0;
    while (!f.mask[node])
        node++;
    CHECK(step(&f, node, 3) == KISIM_EINVALID_ACTION);
    CHECK_STR_CONTAINS(kisim_errmsg(), "scale 3 is outside {0, 1, 2}");
    /* During the initial rollout the replica count is fixed. */
    CHECK(!f.mask[f.sp.n_max] && f.mask[f.sp.n_max + 1] && !f.mask[f.sp.n_max + 2]);
    CHECK(step(&f, node, 2) == KISIM_EINVALID_ACTION);
    CHECK_STR_CONTAINS(kisim_errmsg(), "scale +1 is masked");
    CHECK_STR_CONTAINS(kisim_errmsg(), "initial rollout");
    /* Nothing changed: the same valid step gives the same result as on an untouched env. */
    CHECK(step(&f, node, 1) == 0);
    CHECK(step(&ref, node, 1) == 0);
    CHECK(memcmp(f.obs, ref.obs, (size_t)f.sp.obs_dim * sizeof(float)) == 0);
    CHECK(memcmp(f.info, ref.info, sizeof f.info) == 0);
    env_free(f.e);
    env_free(ref.e);
}

static void test_penalty_mode(void)
{
    fixture f;
    if (open_env(&f, "penalty")) return;
    int invalid = 0;
    for (int s = 0; s < 60 && !f.term && !f.trunc; s++) {
        int node = 0;
        while (!f.mask[node])
            node++;
        int bad = s % 3 == 1;
        sched_view v;
        env_sched_view(f.e, f.obs, f.mask, &v);
        CHECK(step(&f, bad ? 9 : node, hpa_scale_action(v.service, f.mask + f.sp.n_max)) == 0);
        CHECK_NEAR(f.info[INFO_INVALID_ACTION], bad, 0);
        CHECK_NEAR(f.info[INFO_R_INVALID], bad ? -7.5 : 0, 0);
        CHECK_NEAR(f.info[INFO_PLACED_NODE], bad ? -1 : node, 0);
        float sum = f.info[INFO_R_LATENCY] + f.info[INFO_R_ERRORS] + f.info[INFO_R_THROUGHPUT] +
                    f.info[INFO_R_COST] + f.info[INFO_R_CONTENTION] + f.info[INFO_R_INVALID];
        CHECK_NEAR(f.reward, sum, 1e-4);
        invalid += bad;
    }
    CHECK_MSG(invalid >= 15, "only %d invalid steps (term %d trunc %d)", invalid, f.term, f.trunc);
    env_free(f.e);
}

static void test_calls_out_of_order(void)
{
    kisim_config cfg;
    cfg_default(&cfg);
    kisim_env *e;
    CHECK(env_init(&e, &cfg) == 0);
    float obs[8192], info[KISIM_N_INFO], r;
    uint8_t mask[64], term = 0, trunc = 0;
    int32_t a[2] = {0, 1};
    CHECK(env_step(e, a, obs, mask, &r, &term, &trunc, info) == KISIM_ESTATE);
    CHECK_STR_CONTAINS(kisim_errmsg(), "before reset");
    env_reset(e, 1, obs, mask);
    while (!term && !trunc) {
        a[0] = 0;
        while (!mask[a[0]])
            a[0]++;
        CHECK(env_step(e, a, obs, mask, &r, &term, &trunc, info) == 0);
    }
    CHECK(env_step(e, a, obs, mask, &r, &term, &trunc, info) == KISIM_ESTATE);
    CHECK_STR_CONTAINS(kisim_errmsg(), "after the episode ended");
    env_free(e);
    cfg.env.backend = BACKEND_KUBERNETES;
    CHECK(env_init(&e, &cfg) == KISIM_EUNSUPPORTED);
    CHECK_STR_CONTAINS(kisim_errmsg(), "\"kubernetes\"");
}

int main(void)
{
    RUN(test_baselines_never_pick_masked_nodes);
    RUN(test_error_mode);
    RUN(test_penalty_mode);
    RUN(test_calls_out_of_order);
    TEST_MAIN_END();
}
