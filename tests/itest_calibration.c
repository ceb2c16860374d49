/* itest_calibration.c: the sim's calibration targets on configs/quickstart.json (issue 2, and
 * env/MODEL.md), over 30 held-out episodes (seeds 1000000..1000029):
 * - the Kubernetes default scorer puts 35-55% of service replicas on contended nodes (the
 *   KubeAttention benchmark reports 45%);
 * - its p99 latency is at least 2x the oracle's;
 * - the oracle's cost is within 10% of the default's (the gap comes from placement). */
#include <stdlib.h>

#include "agent/eval.h"
#include "common/err.h"
#include "test.h"

static void test_quickstart_calibration(void)
{
    const char *src = getenv("KISIM_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/configs/quickstart.json", src ? src : ".");
    kisim_config cfg;
    int err = cfg_read(&cfg, path);
    CHECK_MSG(err == 0, "%s", kisim_errmsg());
    if (err) return;
    eval_result def, orc;
    CHECK(eval_run(&cfg, "k8s-default", 30, 1000000, NULL, &def) == 0);
    CHECK(eval_run(&cfg, "oracle", 30, 1000000, NULL, &orc) == 0);
    double share = def.agg[EVAL_contended_share].mean;
    double p99_def = def.agg[EVAL_p99_ms].mean, p99_orc = orc.agg[EVAL_p99_ms].mean;
    double cost_def = def.agg[EVAL_cost].mean, cost_orc = orc.agg[EVAL_cost].mean;
    fprintf(stderr, "k8s-default: contended %.3f, p99 %.1f ms, cost %.4f\n", share, p99_def,
            cost_def);
    fprintf(stderr, "oracle:      contended %.3f, p99 %.1f ms, cost %.4f\n",
            orc.agg[EVAL_contended_share].mean, p99_orc, cost_orc);
    CHECK_MSG(share >= 0.35 && share <= 0.55, "contended share %.3f", share);
    CHECK_MSG(p99_def >= 2 * p99_orc, "p99 %.1f vs oracle %.1f", p99_def, p99_orc);
    CHECK_MSG(fabs(cost_orc - cost_def) <= 0.10 * cost_def, "cost %.4f vs oracle %.4f", cost_def,
              cost_orc);
    eval_result_free(&def);
    eval_result_free(&orc);
}

int main(void)
{
    RUN(test_quickstart_calibration);
    TEST_MAIN_END();
}
