/* extender_bench.c: `kisim bench extender`: wrk against POST /scheduler/prioritize of an extender
 * in this process, its service on the PPO link (a ppo-cluster checkpoint built with the policy API,
 * or --policy FILE) and its telemetry store fed like collectors feed it (every candidate node,
 * all 15 features, a fresh frame every 500 ms). Bodies are what kube-scheduler sends: the
 * NodeNames form and the full Nodes form (realistic v1.Node objects), at 10 and 100 nodes.
 * Reports per configuration the medians over --runs of requests/s, p50 and p99 (wrk's own
 * latency histogram, through a Lua done() hook), and the share of prioritize requests the PPO
 * link answered (from the service's counters), so a run that fell back is visible; and, to tell
 * where the time goes, the same body in-process without HTTP, one call at a time: the wire format
 * alone and the whole verb (wire format + chain). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/rng.h"
#include "common/stats.h"
#include "scheduler/extender.h"
#include "scheduler/extender_json.h"
#include "scheduler/extender_verbs.h"
#include "scheduler/score_fixture.h"
#include "scheduler/verbs.h"
#include "telemetry/store.h"

#define MAX_RUNS 15
#define MAX_NODES 1000

typedef struct {
    telem_store *st;
    int n;
    atomic_int stop;
} feeder;

/* Puts a fresh frame for every node every 500 ms, values in each feature's normal range. */
static void *feed(void *arg)
{
    feeder *fd = arg;
    rng r;
    rng_seed(&r, 11);
    telem_frame f;
    memset(&f, 0, sizeof f);
    while (!atomic_load(&fd->stop)) {
        for (int i = 0; i < fd->n; i++) {
            snprintf(f.node, sizeof f.node, "node-%03d", i);
            for (int j = 0; j < KISIM_F; j++) {
                f.available[j] = 1;
                f.features[j] = (float)(kisim_features[j].lo +
                                        (0.1 + 0.6 * rng_uniform(&r)) *
                                            (kisim_features[j].hi - kisim_features[j].lo));
            }
            f.ts_ms = clock_wall_ms(); /* the store refuses frames outside its staleness window */
            telem_store_put(fd->st, &f);
        }
        for (int k = 0; k < 50 && !atomic_load(&fd->stop); k++)
            usleep(10000);
    }
    return NULL;
}

/* A pending Deployment replica as kube-scheduler marshals it. */
static const char *pod_json =
    "{\"metadata\":{\"name\":\"web-7d4b9c6f5-x2kqp\",\"generateName\":\"web-7d4b9c6f5-\","
    "\"namespace\":"
    "\"shop\",\"uid\":\"0b9f4c1e-2d7a-4a53-9d0e-6c1f2b3a4d5e\",\"resourceVersion\":\"48213\","
    "\"creationTimestamp\":\"2026-11-30T04:00:00Z\",\"labels\":{\"app\":\"web\",\"pod-template-"
    "hash\":"
    "\"7d4b9c6f5\"},\"annotations\":{\"kisim.io/workload-class\":\"latency-sensitive\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"apps/"
    "v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d4b9c6f5\","
    "\"uid\":\"5e2c\",\"controller\":true,\"blockOwnerDeletion\":true}]},\"spec\":{\"volumes\":[{"
    "\"name\":"
    "\"kube-api-access-abcde\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{"
    "\"expirationSeconds\":"
    "3607,\"path\":\"token\"}}],\"defaultMode\":420}}],\"containers\":[{\"name\":\"web\",\"image\":"
    "\"registry.example.com/web:1.4.2\",\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
    "\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"500m\","
    "\"memory\":\"512Mi\"}},\"volumeMounts\":[{\"name\":\"kube-api-access-abcde\",\"readOnly\":"
    "true,"
    "\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\"}],\"terminationMessagePath\":"
    "\"/dev/"
    "termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}]"
    ","
    "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":"
    "\"ClusterFirst\","
    "\"serviceAccountName\":\"default\",\"serviceAccount\":\"default\",\"securityContext\":{},"
    "\"schedulerName\":\"kisim-scheduler\",\"tolerations\":[{\"key\":\"node.kubernetes.io/"
    "not-ready\","
    "\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],\"priority\":0,"
    "\"enableServiceLinks\":true,\"preemptionPolicy\":\"PreemptLowerPriority\"},\"status\":{"
    "\"phase\":"
    "\"Pending\",\"qosClass\":\"Burstable\"}}";

/* One realistic v1.Node (labels, conditions, addresses, capacity, nodeInfo, a few images). */
static void node_json(FILE *f, int i)
{
    fprintf(
        f,
        "{\"metadata\":{\"name\":\"node-%03d\",\"uid\":\"7c1e%04d\",\"resourceVersion\":\"%d\","
        "\"creationTimestamp\":\"2026-11-01T00:00:00Z\",\"labels\":{\"beta.kubernetes.io/"
        "arch\":\"amd64\","
        "\"beta.kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\",\"kubernetes.io/"
        "hostname\":"
        "\"node-%03d\",\"kubernetes.io/os\":\"linux\",\"node.kubernetes.io/"
        "instance-type\":\"m5.2xlarge\","
        "\"topology.kubernetes.io/region\":\"eu-west-1\",\"topology.kubernetes.io/"
        "zone\":\"eu-west-1%c\"},"
        "\"annotations\":{\"node.alpha.kubernetes.io/ttl\":\"0\",\"volumes.kubernetes.io/"
        "controller-managed-attach-detach\":\"true\"}},\"spec\":{\"podCIDR\":\"10.244.%d.0/24\","
        "\"podCIDRs\":[\"10.244.%d.0/24\"],\"providerID\":\"aws:///eu-west-1a/"
        "i-0%08d\"},\"status\":{"
        "\"capacity\":{\"cpu\":\"8\",\"ephemeral-storage\":\"104845292Ki\",\"hugepages-1Gi\":\"0\","
        "\"hugepages-2Mi\":\"0\",\"memory\":\"32386584Ki\",\"pods\":\"110\"},\"allocatable\":{"
        "\"cpu\":"
        "\"7910m\",\"ephemeral-storage\":\"96625420948\",\"hugepages-1Gi\":\"0\",\"hugepages-2Mi\":"
        "\"0\","
        "\"memory\":\"31335960Ki\",\"pods\":\"110\"},\"conditions\":[",
        i, i, 1000 + i, i, 'a' + i % 3, i % 250, i % 250, i);
    static const char *conds[][3] = {{"MemoryPressure", "False", "KubeletHasSufficientMemory"},
                                     {"DiskPressure", "False", "KubeletHasNoDiskPressure"},
                                     {"PIDPressure", "False", "KubeletHasSufficientPID"},
                                     {"Ready", "True", "KubeletReady"}};
    for (int c = 0; c < 4; c++)
        fprintf(
            f,
            "%s{\"type\":\"%s\",\"status\":\"%s\",\"lastHeartbeatTime\":\"2026-11-30T04:00:00Z\","
            "\"lastTransitionTime\":\"2026-11-01T00:00:00Z\",\"reason\":\"%s\",\"message\":"
            "\"kubelet "
            "is posting ready status\"}",
            c ? "," : "", conds[c][0], conds[c][1], conds[c][2]);
    fprintf(
        f,
        "],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.%d.%d\"},{\"type\":"
        "\"Hostname\",\"address\":\"node-%03d\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{"
        "\"Port\":"
        "10250}},\"nodeInfo\":{\"machineID\":\"ec2%029d\",\"systemUUID\":\"ec2%029d\",\"bootID\":"
        "\"b%035d\",\"kernelVersion\":\"6.1.0-28-cloud-amd64\",\"osImage\":\"Debian GNU/Linux 12 "
        "(bookworm)\",\"containerRuntimeVersion\":\"containerd://1.7.24\",\"kubeletVersion\":"
        "\"v1.30.4\",\"kubeProxyVersion\":\"v1.30.4\",\"operatingSystem\":\"linux\","
        "\"architecture\":"
        "\"amd64\"},\"images\":[",
        i / 250, i % 250, i, i, i, i);
    for (int m = 0; m < 5; m++)
        fprintf(f,
                "%s{\"names\":[\"registry.example.com/app%d@sha256:%064d\",\"registry.example.com/"
                "app%d:1.%d\"],\"sizeBytes\":%d}",
                m ? "," : "", m, m, m, m, 50000000 + m * 1000);
    fputs("]}}", f);
}

/* Writes the body (NodeNames form when names, else Nodes) and a wrk script posting it. */
static int write_case(const char *dir, int names, int n, char *script, size_t cap, char *body,
                      long *bytes)
{
    snprintf(body, 512, "%s/body_%s_%d.json", dir, names ? "names" : "nodes", n);
    snprintf(script, cap, "%s/post_%s_%d.lua", dir, names ? "names" : "nodes", n);
    FILE *f = fopen(body, "w");
    if (!f) return kisim_seterr(KISIM_EIO, "bench extender: cannot write %s", body);
    fprintf(f, "{\"Pod\":%s,", pod_json);
    if (names) {
        fputs("\"Nodes\":null,\"NodeNames\":[", f);
        for (int i = 0; i < n; i++)
            fprintf(f, "%s\"node-%03d\"", i ? "," : "", i);
        fputs("]}", f);
    } else {
        fputs("\"Nodes\":{\"metadata\":{},\"items\":[", f);
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', f);
            node_json(f, i);
        }
        fputs("]},\"NodeNames\":null}", f);
    }
    *bytes = ftell(f);
    if (fclose(f)) return kisim_seterr(KISIM_EIO, "bench extender: cannot write %s", body);
    if (!(f = fopen(script, "w")))
        return kisim_seterr(KISIM_EIO, "bench extender: cannot write %s", script);
    fprintf(f,
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
            "local f = io.open(\"%s\", \"rb\")\nwrk.body = f:read(\"*a\")\nf:close()\n"
            "done = function(summary, latency, requests)\n"
            "  local e = summary.errors\n"
            "  io.write(string.format(\"KISIM %%d %%d %%.1f %%.1f %%d\\n\", summary.requests, "
            "summary.duration, latency:percentile(50), latency:percentile(99), "
            "e.connect + e.read + e.write + e.status + e.timeout))\nend\n",
            body);
    return fclose(f) ? kisim_seterr(KISIM_EIO, "bench extender: cannot write %s", script) : 0;
}

typedef struct {
    double rps, p50_ms, p99_ms, ppo_share;
    long errors;
} run_result;

/* The same body without HTTP, one call at a time on this thread, for up to 1 s or 20,000 calls:
 * the wire format alone (parse + pod context + write the answer) and the whole verb (that plus
 * the chain). p50/p99 in microseconds into us[4]. */
static int in_process(score_service *svc, const char *path, double us[4])
{
    enum { MAX_CALLS = 20000 };
    FILE *f = fopen(path, "rb");
    if (!f) return kisim_seterr(KISIM_EIO, "bench extender: cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *body = malloc((size_t)n + 1);
    double *lat = malloc(MAX_CALLS * sizeof *lat);
    int *s10 = calloc(MAX_NODES, sizeof *s10), rc = 0;
    if (!body || !lat || !s10 || fread(body, 1, (size_t)n, f) != (size_t)n) {
        rc = kisim_seterr(KISIM_EIO, "bench extender: cannot read %s", path);
        goto cleanup;
    }
    for (int part = 0; part < 2; part++) {
        int calls = 0;
        double start = clock_mono_s();
        for (; calls < MAX_CALLS && clock_mono_s() - start < 1.0; calls++) {
            char *out = NULL;
            size_t len;
            double t0 = clock_mono_s();
            if (part == 0) {
                extender_args a;
                if (!extender_json_parse(&a, body, (size_t)n))
                    extender_json_prioritize(&out, &len, &a, s10);
                extender_json_free(&a);
            } else {
                int status;
                extender_verbs_answer(svc, SCORE_VERB_PRIORITIZE, body, (size_t)n, 0, &status, &out,
                                      &len);
            }
            lat[calls] = (clock_mono_s() - t0) * 1e6;
            free(out);
        }
        stats_sort(lat, calls);
        us[2 * part] = lat[calls / 2];
        us[2 * part + 1] = lat[calls * 99 / 100];
    }
cleanup:
    fclose(f);
    free(s10);
    free(lat);
    free(body);
    return rc;
}

static int run_wrk(score_service *svc, int port, const char *script, int threads, int conns,
                   int seconds, run_result *out)
{
    score_stats a, b;
    score_service_stats(svc, &a);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "wrk -t%d -c%d -d%ds -s %s http://127.0.0.1:%d/scheduler/prioritize 2>&1", threads,
             conns, seconds, script, port);
    FILE *p = popen(cmd, "r");
    if (!p) return kisim_seterr(KISIM_EIO, "bench extender: cannot run wrk");
    char line[512];
    long reqs = 0, dur_us = 0, errors = -1;
    double p50 = 0, p99 = 0;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "KISIM %ld %ld %lf %lf %ld", &reqs, &dur_us, &p50, &p99, &errors) == 5)
            break;
    int st = pclose(p);
    if (errors < 0 || st)
        return kisim_seterr(KISIM_EIO,
                            "bench extender: wrk failed (exit %d; is it installed? "
                            "experiments/install_deps.sh installs it): %s",
                            st, cmd);
    score_service_stats(svc, &b);
    uint64_t total = 0, ppo = 0;
    for (int l = 0; l < SCORE_N_LINKS; l++) {
        uint64_t d = b.requests[SCORE_VERB_PRIORITIZE][l] - a.requests[SCORE_VERB_PRIORITIZE][l];
        total += d;
        if (l == SCORE_LINK_PPO) ppo = d;
    }
    out->rps = dur_us > 0 ? reqs / (dur_us / 1e6) : 0;
    out->p50_ms = p50 / 1000;
    out->p99_ms = p99 / 1000;
    out->errors = errors;
    out->ppo_share = total ? (double)ppo / (double)total : 0;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim bench extender [--runs N] [--seconds S] [--connections C] [--threads T]\n"
        "                            [--http-threads H] [--policy FILE] [--json]\n\n"
        "wrk against POST /scheduler/prioritize of an in-process extender on the PPO link,\n"
        "telemetry store fed every 500 ms; NodeNames and full Nodes bodies at 10 and 100 nodes.\n"
        "Prints medians over the runs of requests/s, p50 and p99, and the share of requests\n"
        "the PPO link answered. Needs wrk.\n\n"
        "  --runs N          runs per configuration (default 3)\n"
        "  --seconds S       seconds per run (default 5)\n"
        "  --connections C   wrk connections (default 8)\n"
        "  --threads T       wrk threads (default 2)\n"
        "  --http-threads H  the extender's HTTP threads (default 2)\n"
        "  --policy FILE     a ppo-cluster checkpoint (default: one built with the policy API,\n"
        "                    H = 64, fresh weights: the cost does not depend on their values)\n"
        "  --json            a JSON array instead of the table\n");
}

int bench_extender_main(int argc, char **argv)
{
    long runs = 3, secs = 5, conns = 8, threads = 2, http_threads = 2;
    const char *policy = NULL;
    int json = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *dst = !strcmp(a, "--runs")           ? &runs
                    : !strcmp(a, "--seconds")      ? &secs
                    : !strcmp(a, "--connections")  ? &conns
                    : !strcmp(a, "--threads")      ? &threads
                    : !strcmp(a, "--http-threads") ? &http_threads
                                                   : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--policy") && v) {
            policy = v, i++;
        } else if (dst && v) {
            long hi = dst == &runs ? MAX_RUNS : dst == &secs ? 600 : 1024;
            if ((rc = args_int("bench extender", a, v, 1, hi, dst))) {
                fprintf(stderr, "kisim %s\n", kisim_errmsg());
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "kisim bench extender: unknown option or missing value \"%s\"\n\n", a);
            usage(stderr);
            return 2;
        }
    }
    char dir[] = "/tmp/kisim-bench-extender-XXXXXX", path[640];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "kisim bench extender: cannot create a temporary folder\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/policy.safetensors", dir);
    score_service *svc = NULL;
    extender *x = NULL;
    feeder fd = {0};
    pthread_t th;
    int feeding = 0;
    if (!policy && (rc = score_fixture_ppo(path, 64, 1, NULL))) goto cleanup;
    score_opts so = {.policy_path = policy ? policy : path};
    if ((rc = score_service_open(&svc, &so))) goto cleanup;
    extender_opts xo = {.threads = (int)http_threads};
    if ((rc = extender_start(&x, svc, "127.0.0.1:0", &xo))) goto cleanup;
    fd.st = score_service_store(svc);
    fd.n = 100;
    if (pthread_create(&th, NULL, feed, &fd)) {
        rc = kisim_seterr(KISIM_EINTERNAL, "bench extender: cannot start the feeder thread");
        goto cleanup;
    }
    feeding = 1;
    usleep(200000);
    static const struct {
        int names, n;
    } cases[] = {{1, 10}, {1, 100}, {0, 10}, {0, 100}};
    if (json)
        printf("[");
    else
        printf("%-10s %6s %10s %12s %8s %8s %10s %6s %9s %9s %9s %9s\n", "form", "nodes", "body_B",
               "req_per_s", "p50_ms", "p99_ms", "ppo_share", "errors", "wire_p50", "wire_p99",
               "verb_p50", "verb_p99");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char script[640], body[512];
        long bytes = 0;
        double us[4];
        if ((rc = write_case(dir, cases[c].names, cases[c].n, script, sizeof script, body,
                             &bytes)) ||
            (rc = in_process(svc, body, us)))
            goto cleanup;
        double rps[MAX_RUNS], p50[MAX_RUNS], p99[MAX_RUNS], share = 1;
        long errors = 0;
        for (int r = 0; r < runs; r++) {
            run_result rr = {0};
            if ((rc = run_wrk(svc, extender_port(x), script, (int)threads, (int)conns, (int)secs,
                              &rr)))
                goto cleanup;
            rps[r] = rr.rps, p50[r] = rr.p50_ms, p99[r] = rr.p99_ms;
            errors += rr.errors;
            if (rr.ppo_share < share) share = rr.ppo_share;
            log_info("bench extender: %s %d nodes run %d/%ld: %.0f req/s, p99 %.2f ms",
                     cases[c].names ? "NodeNames" : "Nodes", cases[c].n, r + 1, runs, rr.rps,
                     rr.p99_ms);
        }
        const char *form = cases[c].names ? "NodeNames" : "Nodes";
        double mr = stats_median(rps, (int)runs), m50 = stats_median(p50, (int)runs),
               m99 = stats_median(p99, (int)runs);
        if (json)
            printf("%s{\"form\":\"%s\",\"nodes\":%d,\"body_bytes\":%ld,\"req_per_s\":%.0f,\"p50_"
                   "ms\":%.3f,"
                   "\"p99_ms\":%.3f,\"ppo_share_min\":%.4f,\"errors\":%ld,\"runs\":%ld,"
                   "\"wire_p50_us\":%.1f,\"wire_p99_us\":%.1f,\"verb_p50_us\":%.1f,\"verb_p99_us\":"
                   "%.1f}",
                   c ? "," : "", form, cases[c].n, bytes, mr, m50, m99, share, errors, runs, us[0],
                   us[1], us[2], us[3]);
        else
            printf("%-10s %6d %10ld %12.0f %8.3f %8.3f %10.4f %6ld %9.1f %9.1f %9.1f %9.1f\n", form,
                   cases[c].n, bytes, mr, m50, m99, share, errors, us[0], us[1], us[2], us[3]);
        fflush(stdout);
    }
    if (json) printf("]\n");
    fprintf(
        json ? stderr : stdout,
        "\n(%ld runs x %ld s, wrk -t%ld -c%ld, %ld HTTP threads, "
        "medians; ppo_share is the lowest share of prioritize requests the PPO link answered in "
        "a run; wire_* and verb_* are microseconds per call in-process, without HTTP: the JSON "
        "alone, and the whole verb with the chain)\n",
        runs, secs, threads, conns, http_threads);
cleanup:
    if (feeding) {
        atomic_store(&fd.stop, 1);
        pthread_join(th, NULL);
    }
    extender_stop(x);
    score_service_close(svc);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {
    }
    if (rc) fprintf(stderr, "kisim bench extender: %s\n", kisim_errmsg());
    return rc ? kisim_exit_code(rc) : 0;
}
