/* test_config.c: config loading (common/config.c). Defaults, every kind of error with its full
 * message and exit code, node-type normalisation, the effective-JSON round trip and the shipped
 * configs. Expected values are written out by hand from configs/README.md. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/err.h"
#include "tests/test.h"

static char tmpdir[] = "/tmp/kisim_test_config.XXXXXX";

static const char *src_dir(void)
{
    const char *d = getenv("KISIM_SOURCE_DIR");
    return d && *d ? d : ".";
}

/* A path in the test's temporary folder; valid until the fourth call after it. */
static const char *tmp_path(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static const char *write_tmp(const char *name, const char *text)
{
    const char *p = tmp_path(name);
    FILE *f = fopen(p, "w");
    if (!f) {
        perror(p);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return p;
}

/* Parses json as "t.json" and expects exactly `want`, KISIM_ECONFIG (exit code 2) and an
 * untouched config. */
static void expect_err(const char *json, const char *want)
{
    kisim_config c;
    cfg_default(&c);
    c.env.seed = 777;
    kisim_clearerr();
    int rc = cfg_parse(&c, json, "t.json", "");
    CHECK_MSG(rc == KISIM_ECONFIG, "%s: rc %d (%s)", json, rc, kisim_errmsg());
    CHECK_MSG(kisim_exit_code(rc) == 2, "%s: exit code %d", json, kisim_exit_code(rc));
    CHECK_MSG(strcmp(kisim_errmsg(), want) == 0, "for %s\n  got:  %s\n  want: %s", json,
              kisim_errmsg(), want);
    CHECK_MSG(c.env.seed == 777, "a failed parse of %s changed the config", json);
}

static void parse_ok(kisim_config *c, const char *json)
{
    int rc = cfg_parse(c, json, "t.json", "");
    CHECK_MSG(rc == 0, "%s: %s", json, kisim_errmsg());
}

static void test_defaults(void)
{
    kisim_config c;
    cfg_default(&c);
    CHECK_EQ_INT(c.env.backend, BACKEND_SIM);
    CHECK(c.env.seed == 0);
    CHECK_NEAR(c.env.horizon_s, 600, 0);
    CHECK_NEAR(c.env.decision_interval_s, 5, 0);
    CHECK_EQ_INT(c.env.invalid_action, INVALID_ACTION_ERROR);
    CHECK_NEAR(c.env.invalid_penalty, -1, 0);
    CHECK_EQ_INT(c.env.max_nodes, 16);
    CHECK_EQ_INT(c.env.window, 10);
    CHECK_NEAR(c.env.terminate_down_s, 60, 0);

    CHECK_EQ_INT(c.cluster.nodes, 8);
    CHECK_EQ_INT(c.cluster.n_node_types, 1);
    const cfg_node_type *t = &c.cluster.node_types[0];
    CHECK(strcmp(t->name, "standard") == 0);
    CHECK_EQ_INT(t->count, 8);
    CHECK_NEAR(t->cores, 8, 0);
    CHECK_NEAR(t->memory_gib, 32, 0);
    CHECK_NEAR(t->llc_mb, 32, 0);
    CHECK_NEAR(t->membw_gbps, 25, 0);
    CHECK_NEAR(t->disk_iops, 20000, 0);
    CHECK_NEAR(t->net_kpps, 200, 0);
    CHECK_EQ_INT(t->gpus, 0);
    CHECK_EQ_INT(t->max_pods, 110);
    CHECK_NEAR(c.cluster.noisy.per_node_hour, 1.8, 0);
    CHECK_NEAR(c.cluster.noisy.mean_lifetime_s, 1200, 0);
    CHECK_NEAR(c.cluster.noisy.intensity, 1, 0);
    CHECK_NEAR(c.cluster.noisy.kinds[NOISY_CACHE], 1, 0);
    CHECK_NEAR(c.cluster.noisy.kinds[NOISY_MEMBW], 1, 0);
    CHECK_NEAR(c.cluster.noisy.kinds[NOISY_CPU], 1, 0);
    CHECK_NEAR(c.cluster.noisy.kinds[NOISY_DISK], 0.5, 0);
    CHECK_NEAR(c.cluster.noisy.kinds[NOISY_NETWORK], 0.5, 0);
    CHECK_NEAR(c.cluster.telemetry.noise, 0.02, 0);
    CHECK_EQ_INT(c.cluster.telemetry.lag_steps, 1);
    for (int f = 0; f < KISIM_F; f++)
        CHECK_EQ_INT(c.cluster.unavailable[f], 0);

    CHECK_NEAR(c.workload.service.base_service_ms, 10, 0);
    CHECK_NEAR(c.workload.service.slo_ms, 150, 0);
    CHECK_NEAR(c.workload.service.timeout_ms, 1000, 0);
    CHECK_NEAR(c.workload.service.cpu_request, 1, 0);
    CHECK_NEAR(c.workload.service.memory_gib, 1, 0);
    CHECK_NEAR(c.workload.service.working_set_mb, 6, 0);
    CHECK_NEAR(c.workload.service.membw_gbps_per_krps, 1, 0);
    CHECK_EQ_INT(c.workload.service.min_replicas, 1);
    CHECK_EQ_INT(c.workload.service.max_replicas, 8);
    CHECK_EQ_INT(c.workload.service.initial_replicas, 2);
    CHECK_NEAR(c.workload.service.sensitivity[CONT_CPU], 0.6, 0);
    CHECK_NEAR(c.workload.service.sensitivity[CONT_LLC], 0.7, 0);
    CHECK_NEAR(c.workload.service.sensitivity[CONT_MEMBW], 0.5, 0);
    CHECK_NEAR(c.workload.service.sensitivity[CONT_DISK], 0.5, 0);
    CHECK_NEAR(c.workload.service.sensitivity[CONT_NETWORK], 0.5, 0);
    CHECK_NEAR(c.workload.service.hpa_target, 0.5, 0);
    CHECK_NEAR(c.workload.service.hpa_tolerance, 0.1, 0);
    CHECK_NEAR(c.workload.background.mean_lifetime_s, 300, 0);
    for (int k = 0; k < BG_CLASSES; k++)
        CHECK_NEAR(c.workload.background.mix[k], 1, 0);
    CHECK_EQ_INT(c.workload.background.initial_pods, 12);
    CHECK_NEAR(c.workload.background.arrival_prob, 0.5, 0);

    CHECK_EQ_INT(c.load.pattern, LOAD_RAMP);
    CHECK_NEAR(c.load.rate_per_user, 1, 0);
    CHECK_NEAR(c.load.ramp.start, 50, 0);
    CHECK_NEAR(c.load.ramp.end, 250, 0);
    CHECK_NEAR(c.load.ramp.duration_s, 600, 0);
    CHECK_NEAR(c.load.spike.base, 100, 0);
    CHECK_NEAR(c.load.spike.height, 150, 0);
    CHECK_NEAR(c.load.spike.at_s, 200, 0);
    CHECK_NEAR(c.load.spike.width_s, 60, 0);
    CHECK_NEAR(c.load.periodic.mean, 150, 0);
    CHECK_NEAR(c.load.periodic.amplitude, 75, 0);
    CHECK_NEAR(c.load.periodic.period_s, 300, 0);
    CHECK_NEAR(c.load.random.min, 50, 0);
    CHECK_NEAR(c.load.random.max, 250, 0);
    CHECK_NEAR(c.load.random.interval_s, 60, 0);
    CHECK(c.load.random.seed == 0);
    CHECK(strcmp(c.load.trace.path, "") == 0);
    CHECK_NEAR(c.load.trace.scale, 1, 0);
    CHECK_NEAR(c.load.trace.window_start_s, 0, 0);
    CHECK_NEAR(c.load.trace.window_end_s, 0, 0);
    CHECK_EQ_INT(c.load.trace.unit, TRACE_UNIT_USERS);

    CHECK_NEAR(c.reward.latency, 1, 0);
    CHECK_EQ_INT(c.reward.latency_percentile, 99);
    CHECK_NEAR(c.reward.errors, 1, 0);
    CHECK_NEAR(c.reward.throughput, 0.5, 0);
    CHECK_NEAR(c.reward.cost, 0.5, 0);
    CHECK_NEAR(c.reward.contention, 0.5, 0);
    CHECK_NEAR(c.reward.replica_price_per_hour, 0.10, 0);
    CHECK_NEAR(c.reward.gpu_price_per_hour, 2.5, 0);
    CHECK_EQ_INT(c.eval.episodes, 30);
    CHECK(c.eval.seed == 1000000);
    CHECK(strcmp(c.path, "") == 0 && strcmp(c.dir, "") == 0);

    /* An empty document is the defaults. */
    kisim_config e;
    parse_ok(&e, "{}");
    CHECK(cfg_hash(&e) == cfg_hash(&c));
    CHECK(strcmp(e.path, "t.json") == 0);
}

static void test_name_tables(void)
{
    CHECK(strcmp(noisy_kind_names[NOISY_CACHE], "cache") == 0);
    CHECK(strcmp(noisy_kind_names[NOISY_NETWORK], "network") == 0);
    CHECK(strcmp(contention_names[CONT_LLC], "llc") == 0);
    CHECK(strcmp(contention_names[CONT_DISK], "disk") == 0);
    CHECK(strcmp(bg_class_names[BG_MEMORY_BOUND], "memory_bound") == 0);
    CHECK(strcmp(bg_class_names[BG_BATCH], "batch") == 0);
}

static void test_values(void)
{
    kisim_config c;
    parse_ok(&c, "{\"env\": {\"backend\": \"kubernetes\", \"seed\": 9007199254740992, "
                 "\"invalid_action\": \"penalty\", \"decision_interval_s\": 0.1},"
                 " \"load\": {\"pattern\": \"random\", \"random\": {\"min\": 10, \"max\": 10},"
                 " \"trace\": {\"unit\": \"rps\"}},"
                 " \"reward\": {\"latency_percentile\": 95}, \"eval\": {\"episodes\": 1e2}}");
    CHECK_EQ_INT(c.env.backend, BACKEND_KUBERNETES);
    CHECK(c.env.seed == 9007199254740992ULL);
    CHECK_EQ_INT(c.env.invalid_action, INVALID_ACTION_PENALTY);
    CHECK_NEAR(c.env.decision_interval_s, 0.1, 0);
    CHECK_EQ_INT(c.load.pattern, LOAD_RANDOM);
    CHECK_EQ_INT(c.load.trace.unit, TRACE_UNIT_RPS);
    CHECK_EQ_INT(c.reward.latency_percentile, 95);
    CHECK_EQ_INT(c.eval.episodes, 100);
    char *j = cfg_to_json(&c);
    CHECK_STR_CONTAINS(j, "\"seed\": 9007199254740992,");
    CHECK_STR_CONTAINS(j, "\"backend\": \"kubernetes\",");
    free(j);

    parse_ok(&c,
             "{\"cluster\": {\"unavailable_features\": [\"l3_cache_occupancy_mb\", "
             "\"l3_cache_miss_rate\"], \"noisy\": {\"per_node_hour\": 0, \"kinds\": {\"cache\": 0,"
             " \"membw\": 0, \"cpu\": 0, \"disk\": 0, \"network\": 0}}}}");
    CHECK_EQ_INT(c.cluster.unavailable[FEAT_L3_CACHE_MISS_RATE], 1);
    CHECK_EQ_INT(c.cluster.unavailable[FEAT_L3_CACHE_OCCUPANCY_MB], 1);
    CHECK_EQ_INT(c.cluster.unavailable[FEAT_CPU_UTILIZATION], 0);
    j = cfg_to_json(&c);
    CHECK_STR_CONTAINS(j, "\"unavailable_features\": [\"l3_cache_miss_rate\", "
                          "\"l3_cache_occupancy_mb\"]");
    free(j);
}

static void test_errors_type_and_range(void)
{
    expect_err("{\"cluster\": {\"nodes\": \"sixteen\"}}",
               "config: t.json: /cluster/nodes: expected an integer in [1, 4096], got \"sixteen\"");
    expect_err("{\"cluster\": {\"nodes\": 2.5}}",
               "config: t.json: /cluster/nodes: expected an integer in [1, 4096], got 2.5");
    expect_err("{\"cluster\": {\"nodes\": 5000}}",
               "config: t.json: /cluster/nodes: expected an integer in [1, 4096], got 5000");
    expect_err("{\"eval\": {\"episodes\": true}}",
               "config: t.json: /eval/episodes: expected an integer in [1, 100000], got true");
    expect_err("{\"env\": {\"seed\": -1}}",
               "config: t.json: /env/seed: expected an integer in [0, 9007199254740992], got -1");
    expect_err("{\"env\": {\"horizon_s\": 0}}",
               "config: t.json: /env/horizon_s: expected a number in (0, 10000000], got 0");
    expect_err(
        "{\"env\": {\"decision_interval_s\": 0.05}}",
        "config: t.json: /env/decision_interval_s: expected a number in [0.1, 3600], got 0.05");
    expect_err(
        "{\"env\": {\"invalid_penalty\": null}}",
        "config: t.json: /env/invalid_penalty: expected a number in [-1000000, 0], got null");
    expect_err("{\"cluster\": [1,2]}", "config: t.json: /cluster: expected an object, got [1,2]");
    expect_err("{\"workload\": {\"service\": {\"sensitivity\": 3}}}",
               "config: t.json: /workload/service/sensitivity: expected an object, got 3");
    expect_err("{\"env\": {\"backend\": \"aws\"}}",
               "config: t.json: /env/backend: expected one of \"sim\", \"local\", \"kubernetes\", "
               "got \"aws\"");
    expect_err("{\"load\": {\"trace\": {\"unit\": 1}}}",
               "config: t.json: /load/trace/unit: expected one of \"users\", \"rps\", got 1");
    expect_err("{\"reward\": {\"latency_percentile\": 90}}",
               "config: t.json: /reward/latency_percentile: expected one of 50, 95, 99, got 90");
    expect_err(
        "{\"cluster\": {\"node_types\": [{\"name\": \"abcdefghijabcdefghijabcdefghijab\"}]}}",
        "config: t.json: /cluster/node_types/0/name: expected a string of 1 to 31 "
        "characters, got \"abcdefghijabcdefghijabcdefghijab\"");
    expect_err(
        "{\"cluster\": {\"node_types\": [{\"count\": 1}, {\"gpus\": 65}]}}",
        "config: t.json: /cluster/node_types/1/gpus: expected an integer in [0, 64], got 65");
    expect_err("{\"cluster\": {\"node_types\": []}}",
               "config: t.json: /cluster/node_types: expected an array of 1 to 16 node types, "
               "got []");
    expect_err("[1]", "config: t.json: expected an object at the top level, got [1]");
    expect_err("{\"env\": {\"seed\": 1, \"seed\": 2}}", "config: t.json: /env/seed: duplicate key");
    /* A long offending value is cut to 77 characters and "..." so the message stays one line. */
    expect_err(
        "{\"env\": {\"backend\": [1111111111, 2222222222, 3333333333, 4444444444, "
        "5555555555, 6666666666, 7777777777, 8888888888]}}",
        "config: t.json: /env/backend: expected one of \"sim\", \"local\", \"kubernetes\", "
        "got [1111111111,2222222222,3333333333,4444444444,5555555555,6666666666,7777777777...");
}

static void test_errors_unknown_keys(void)
{
    expect_err("{\"scorer\": {}}",
               "config: t.json: /scorer: unknown key (expected one of: env, cluster, workload, "
               "load, reward, train, eval, local)");
    expect_err("{\"train\": {\"anneal_lr\": 1}}",
               "config: t.json: /train/anneal_lr: expected true or false, got 1");
    expect_err("{\"train\": {\"remote\": [\"tcp://a:1\", 5]}}",
               "config: t.json: /train/remote/1: expected an endpoint such as "
               "\"tcp://10.0.0.2:5555\", got 5");
    expect_err("{\"cluster\": {\"nodez\": 3}}",
               "config: t.json: /cluster/nodez: unknown key (expected one of: nodes, node_types, "
               "noisy, telemetry, unavailable_features)");
    expect_err("{\"cluster\": {\"noisy\": {\"kinds\": {\"gpu\": 1}}}}",
               "config: t.json: /cluster/noisy/kinds/gpu: unknown key (expected one of: cache, "
               "membw, cpu, disk, network)");
    expect_err(
        "{\"cluster\": {\"node_types\": [{\"name\": \"a\", \"corez\": 4}]}}",
        "config: t.json: /cluster/node_types/0/corez: unknown key (expected one of: name, "
        "count, cores, memory_gib, llc_mb, membw_gbps, disk_iops, net_kpps, gpus, max_pods)");
    expect_err("{\"workload\": {\"background\": {\"mix\": {\"gpu_bound\": 1}}}}",
               "config: t.json: /workload/background/mix/gpu_bound: unknown key (expected one of: "
               "cpu_bound, memory_bound, io_bound, batch)");
    /* JSON Pointer escapes: ~ is ~0 and / is ~1. */
    expect_err("{\"env\": {\"a/b~c\": 1}}",
               "config: t.json: /env/a~1b~0c: unknown key (expected one of: backend, seed, "
               "horizon_s, decision_interval_s, invalid_action, invalid_penalty, max_nodes, "
               "window, terminate_down_s)");
    expect_err("{\"cluster\": {\"unavailable_features\": [\"cpu_utilization\", \"disk_iops\", "
               "\"l3_cache_hits\"]}}",
               "config: t.json: /cluster/unavailable_features/2: unknown feature "
               "\"l3_cache_hits\" (expected one of: cpu_utilization, cpu_throttle_rate, "
               "memory_utilization, memory_bandwidth_gbps, l3_cache_miss_rate, "
               "l3_cache_occupancy_mb, disk_io_wait_ms, disk_iops, network_rx_packets_sec, "
               "network_tx_packets_sec, network_drop_rate, cpu_requested_ratio, "
               "memory_requested_ratio, pods_ratio, gpu_utilization)");
    expect_err("{\"cluster\": {\"unavailable_features\": [7]}}",
               "config: t.json: /cluster/unavailable_features/0: expected a feature name, got 7");
    expect_err("{\"cluster\": {\"unavailable_features\": \"disk_iops\"}}",
               "config: t.json: /cluster/unavailable_features: expected an array of feature "
               "names, got \"disk_iops\"");
}

static void test_errors_cross_field(void)
{
    expect_err("{\"env\": {\"max_nodes\": 16}, \"cluster\": {\"nodes\": 20}}",
               "config: t.json: /cluster/nodes: the cluster has 20 nodes but /env/max_nodes is 16");
    expect_err("{\"env\": {\"max_nodes\": 4}, \"cluster\": {\"node_types\": [{\"count\": 3}, "
               "{\"count\": 2}]}}",
               "config: t.json: /cluster/node_types: the cluster has 5 nodes but /env/max_nodes "
               "is 4");
    expect_err("{\"cluster\": {\"nodes\": 4, \"node_types\": [{\"count\": 3}, {\"count\": 2}]}}",
               "config: t.json: /cluster/nodes: expected the sum of the /cluster/node_types "
               "counts (5), got 4");
    expect_err("{\"cluster\": {\"node_types\": [{\"count\": 0}]}}",
               "config: t.json: /cluster/node_types: the counts sum to 0; a cluster needs at "
               "least 1 node");
    expect_err("{\"cluster\": {\"node_types\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}}",
               "config: t.json: /cluster/node_types/1/name: duplicate node type name \"a\"");
    expect_err("{\"workload\": {\"service\": {\"initial_replicas\": 9}}}",
               "config: t.json: /workload/service/initial_replicas: expected a value in "
               "[min_replicas, max_replicas] = [1, 8], got 9");
    expect_err("{\"workload\": {\"service\": {\"min_replicas\": 4, \"max_replicas\": 3}}}",
               "config: t.json: /workload/service/max_replicas: expected a value >= "
               "/workload/service/min_replicas (4), got 3");
    expect_err("{\"workload\": {\"service\": {\"slo_ms\": 100, \"timeout_ms\": 50}}}",
               "config: t.json: /workload/service/timeout_ms: expected a value greater than "
               "/workload/service/slo_ms (100), got 50");
    expect_err("{\"cluster\": {\"noisy\": {\"kinds\": {\"cache\": 0, \"membw\": 0, \"cpu\": 0, "
               "\"disk\": 0, \"network\": 0}}}}",
               "config: t.json: /cluster/noisy/kinds: the weights are all 0 but "
               "/cluster/noisy/per_node_hour is 1.8");
    expect_err("{\"workload\": {\"background\": {\"mix\": {\"cpu_bound\": 0, \"memory_bound\": 0, "
               "\"io_bound\": 0, \"batch\": 0}}}}",
               "config: t.json: /workload/background/mix: the weights are all 0; at least one "
               "must be positive");
    expect_err("{\"load\": {\"random\": {\"min\": 250, \"max\": 100}}}",
               "config: t.json: /load/random/max: expected a value >= /load/random/min (250), "
               "got 100");
    expect_err("{\"load\": {\"trace\": {\"window_start_s\": 100, \"window_end_s\": 50}}}",
               "config: t.json: /load/trace/window_end_s: expected 0 (the end of the trace) or a "
               "value greater than /load/trace/window_start_s (100), got 50");
    expect_err("{\"load\": {\"pattern\": \"trace\"}}",
               "config: t.json: /load/trace/path: required when /load/pattern is \"trace\"");
    expect_err("{\"cluster\": {\"nodes\": 3}, \"local\": {\"noisy\": {\"nodes\": 4}}}",
               "config: t.json: /local/noisy/nodes: expected at most the cluster's 3 nodes, got 4");
    expect_err("{\"local\": {\"cgroup_parent\": \"../escape\"}}",
               "config: t.json: /local/cgroup_parent: expected a relative cgroup path without "
               "\"..\", blanks or a trailing \"/\" (e.g. \"kisim\"), got \"../escape\"");
    expect_err("{\"local\": {\"cgroup_parent\": \"/abs\"}}",
               "config: t.json: /local/cgroup_parent: expected a relative cgroup path without "
               "\"..\", blanks or a trailing \"/\" (e.g. \"kisim\"), got \"/abs\"");
    expect_err("{\"local\": {\"noisy\": {\"cpu_load\": 101}}}",
               "config: t.json: /local/noisy/cpu_load: expected an integer in [1, 100], got 101");
}

static void test_errors_files(void)
{
    kisim_config c;
    char want[512];
    const char *missing = tmp_path("missing.json");
    int rc = cfg_read(&c, missing);
    snprintf(want, sizeof want, "config: %s: cannot read: No such file or directory", missing);
    CHECK_EQ_INT(rc, KISIM_ECONFIG);
    CHECK_EQ_INT(kisim_exit_code(rc), 2);
    CHECK_MSG(strcmp(kisim_errmsg(), want) == 0, "got %s", kisim_errmsg());

    /* Line 3 is `    "seed": tru`: four spaces, "seed" in columns 5-10, ':' 11, ' ' 12, 't' 13. */
    const char *bad = write_tmp("bad.json", "{\n  \"env\": {\n    \"seed\": tru\n  }\n}\n");
    rc = cfg_read(&c, bad);
    snprintf(want, sizeof want,
             "config: %s: malformed JSON at line 3, column 13: unexpected character 't'", bad);
    CHECK_EQ_INT(rc, KISIM_ECONFIG);
    CHECK_MSG(strcmp(kisim_errmsg(), want) == 0, "got %s", kisim_errmsg());

    /* A NUL byte after a complete document (`{}` NUL `x`) must not end the text: it is at
     * line 1, column 3. */
    const char *nul = tmp_path("nul.json");
    FILE *nf = fopen(nul, "wb");
    fwrite("{}\0x\n", 1, 5, nf);
    fclose(nf);
    rc = cfg_read(&c, nul);
    snprintf(want, sizeof want,
             "config: %s: malformed JSON at line 1, column 3: text after the JSON document", nul);
    CHECK_EQ_INT(rc, KISIM_ECONFIG);
    CHECK_MSG(strcmp(kisim_errmsg(), want) == 0, "got %s", kisim_errmsg());

    /* Trailing text after the document: `{"env": {}} x`, the x is column 13. */
    expect_err("{\"env\": {}} x",
               "config: t.json: malformed JSON at line 1, column 13: text after the JSON document");
    /* A missing comma on line 2, before `"seed"` at column 16: `{"env": {"a": 1` ... */
    expect_err("{\n\"env\": {\"a\": 1 \"seed\": 2}}", "config: t.json: malformed JSON at line 2, "
                                                      "column 16: expected ',' or '}'");

    /* The trace of a "trace" pattern is resolved against the config's folder and must exist. */
    write_tmp("trace.csv", "time_s,users\n0,10\n60,20\n");
    const char *tc = write_tmp("trace.json", "{\"load\": {\"pattern\": \"trace\", \"trace\": "
                                             "{\"path\": \"trace.csv\"}}}");
    rc = cfg_read(&c, tc);
    CHECK_MSG(rc == 0, "%s", kisim_errmsg());
    CHECK(strcmp(c.load.trace.path, tmp_path("trace.csv")) == 0);
    CHECK(strcmp(c.dir, tmpdir) == 0);
    CHECK(strcmp(c.path, tc) == 0);

    const char *tm = write_tmp("trace_missing.json", "{\"load\": {\"pattern\": \"trace\", "
                                                     "\"trace\": {\"path\": \"nope.csv\"}}}");
    rc = cfg_read(&c, tm);
    snprintf(want, sizeof want,
             "config: %s: /load/trace/path: cannot read %s: No such file or "
             "directory",
             tm, tmp_path("nope.csv"));
    CHECK_EQ_INT(rc, KISIM_ECONFIG);
    CHECK_MSG(strcmp(kisim_errmsg(), want) == 0, "got %s", kisim_errmsg());

    /* A trace that is not the active pattern is resolved but need not exist. */
    rc = cfg_parse(&c, "{\"load\": {\"trace\": {\"path\": \"x/y.csv\"}}}", "t.json", "/data");
    CHECK_EQ_INT(rc, 0);
    CHECK(strcmp(c.load.trace.path, "/data/x/y.csv") == 0);
    rc = cfg_parse(&c, "{\"load\": {\"trace\": {\"path\": \"/abs/y.csv\"}}}", "t.json", "/data");
    CHECK(strcmp(c.load.trace.path, "/abs/y.csv") == 0);
    const char *made[] = {"bad.json", "trace.csv", "trace.json", "trace_missing.json"};
    for (int i = 0; i < 4; i++)
        remove(tmp_path(made[i]));
}

static void test_node_types(void)
{
    kisim_config c;
    parse_ok(&c, "{\"cluster\": {\"nodes\": 5}}");
    CHECK_EQ_INT(c.cluster.n_node_types, 1);
    CHECK(strcmp(c.cluster.node_types[0].name, "standard") == 0);
    CHECK_EQ_INT(c.cluster.node_types[0].count, 5);
    CHECK_NEAR(c.cluster.node_types[0].cores, 8, 0);
    CHECK_EQ_INT(cfg_node_count(&c), 5);

    parse_ok(&c, "{\"cluster\": {\"node_types\": [{\"name\": \"a\", \"count\": 2, \"cores\": 4}, "
                 "{\"count\": 3, \"gpus\": 2}, {\"count\": 0}]}}");
    CHECK_EQ_INT(c.cluster.n_node_types, 3);
    CHECK_EQ_INT(c.cluster.nodes, 5);
    CHECK_EQ_INT(cfg_node_count(&c), 5);
    CHECK(strcmp(c.cluster.node_types[1].name, "type1") == 0);
    CHECK(strcmp(c.cluster.node_types[2].name, "type2") == 0);
    CHECK_NEAR(c.cluster.node_types[1].cores, 8, 0);
    CHECK_EQ_INT(c.cluster.node_types[1].max_pods, 110);
    const char *want[5] = {"a", "a", "type1", "type1", "type1"};
    for (int i = 0; i < 5; i++) {
        const cfg_node_type *t = cfg_node_type_of(&c, i);
        CHECK_MSG(t && strcmp(t->name, want[i]) == 0, "node %d", i);
    }
    CHECK(cfg_node_type_of(&c, 5) == NULL);
    CHECK(cfg_node_type_of(&c, -1) == NULL);
    CHECK_EQ_INT(cfg_node_type_of(&c, 2)->gpus, 2);

    /* nodes may repeat the sum. */
    parse_ok(&c, "{\"cluster\": {\"nodes\": 4, \"node_types\": [{\"count\": 4}]}}");
    CHECK_EQ_INT(c.cluster.nodes, 4);

    /* A config built in code with no node types: `nodes` nodes of the default type. */
    cfg_default(&c);
    c.cluster.n_node_types = 0;
    c.cluster.nodes = 3;
    CHECK_EQ_INT(cfg_node_count(&c), 3);
    CHECK(strcmp(cfg_node_type_of(&c, 2)->name, "standard") == 0);
    CHECK(cfg_node_type_of(&c, 3) == NULL);
    char *j = cfg_to_json(&c);
    CHECK_STR_CONTAINS(j, "\"nodes\": 3,");
    CHECK_STR_CONTAINS(j, "\"name\": \"standard\",\n        \"count\": 3,");
    free(j);
}

/* The effective JSON reads back to the same config. */
static void round_trip(const kisim_config *c, const char *what)
{
    char *j = cfg_to_json(c);
    CHECK(j != NULL);
    if (!j) return;
    kisim_config back;
    int rc = cfg_parse(&back, j, "show.json", "");
    CHECK_MSG(rc == 0, "%s: %s", what, kisim_errmsg());
    CHECK_MSG(cfg_hash(&back) == cfg_hash(c), "%s: hash changed", what);
    char *j2 = cfg_to_json(&back);
    CHECK_MSG(j2 && strcmp(j, j2) == 0, "%s: output changed", what);
    free(j);
    free(j2);
}

static void test_round_trip(void)
{
    kisim_config c;
    cfg_default(&c);
    round_trip(&c, "defaults");
    parse_ok(&c, "{\"env\": {\"seed\": 123456789012345, \"horizon_s\": 0.1, \"invalid_penalty\": "
                 "-0.3}, \"cluster\": {\"node_types\": [{\"name\": \"q\\\"uote\", \"count\": 2, "
                 "\"cores\": 1.1}, {\"count\": 1, \"llc_mb\": 1e-3}], \"unavailable_features\": "
                 "[\"gpu_utilization\"]}, \"load\": {\"trace\": {\"path\": \"a b/c.csv\"}}}");
    round_trip(&c, "custom");
    char *j = cfg_to_json(&c);
    CHECK_STR_CONTAINS(j, "\"horizon_s\": 0.1,");
    CHECK_STR_CONTAINS(j, "\"invalid_penalty\": -0.3,");
    CHECK_STR_CONTAINS(j, "\"name\": \"q\\\"uote\",");
    CHECK_STR_CONTAINS(j, "\"llc_mb\": 0.001,");
    free(j);
    kisim_config d = c;
    d.load.random.seed = 1;
    CHECK(cfg_hash(&d) != cfg_hash(&c));

    const char *names[] = {"quickstart.json", "rl_test_config.json", "rl_production_config.json"};
    for (int i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/configs/%s", src_dir(), names[i]);
        if (cfg_read(&c, path) == 0) round_trip(&c, names[i]);
    }
}

static void test_shipped_configs(void)
{
    char path[4096];
    kisim_config c;
    snprintf(path, sizeof path, "%s/configs/quickstart.json", src_dir());
    CHECK_MSG(cfg_read(&c, path) == 0, "%s", kisim_errmsg());
    CHECK_EQ_INT(cfg_node_count(&c), 8);
    CHECK_EQ_INT(c.env.max_nodes, 16);
    CHECK_NEAR(c.env.horizon_s, 600, 0);
    CHECK_NEAR(c.env.decision_interval_s, 5, 0);
    CHECK_EQ_INT(c.load.pattern, LOAD_RAMP);
    CHECK_NEAR(c.load.ramp.start, 50, 0);
    CHECK_NEAR(c.load.ramp.end, 250, 0);
    CHECK_NEAR(c.load.ramp.duration_s, 600, 0);

    snprintf(path, sizeof path, "%s/configs/rl_test_config.json", src_dir());
    CHECK_MSG(cfg_read(&c, path) == 0, "%s", kisim_errmsg());
    CHECK_EQ_INT(cfg_node_count(&c), 6);
    CHECK_NEAR(c.env.horizon_s, 300, 0);
    CHECK_EQ_INT(c.load.pattern, LOAD_SPIKE);

    snprintf(path, sizeof path, "%s/configs/rl_production_config.json", src_dir());
    CHECK_MSG(cfg_read(&c, path) == 0, "%s", kisim_errmsg());
    CHECK_EQ_INT(cfg_node_count(&c), 32);
    CHECK_EQ_INT(c.cluster.nodes, 32);
    CHECK(c.cluster.n_node_types >= 2 && c.cluster.n_node_types <= 3);
    CHECK_EQ_INT(c.env.max_nodes, 64);
    CHECK_NEAR(c.env.horizon_s, 1800, 0);
    CHECK_EQ_INT(c.load.pattern, LOAD_PERIODIC);
    CHECK_EQ_INT(c.eval.episodes, 30);
    int gpu_nodes = 0;
    for (int i = 0; i < cfg_node_count(&c); i++)
        gpu_nodes += cfg_node_type_of(&c, i)->gpus == 4;
    CHECK_EQ_INT(gpu_nodes, 2);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_defaults);
    RUN(test_name_tables);
    RUN(test_values);
    RUN(test_errors_type_and_range);
    RUN(test_errors_unknown_keys);
    RUN(test_errors_cross_field);
    RUN(test_errors_files);
    RUN(test_node_types);
    RUN(test_round_trip);
    RUN(test_shipped_configs);
    rmdir(tmpdir);
    TEST_MAIN_END();
}
