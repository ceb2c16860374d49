/* collect_cli.c: `kisim collect`, the node telemetry collector daemon. Loads the BPF programs,
 * samples every --interval-ms, and publishes one telemetry frame per node (docs/ARCHITECTURE.md,
 * "Telemetry frames") over a ZeroMQ PUB socket, plus /metrics. SIGINT/SIGTERM stop the loop
 * and everything is detached on the way out. */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "bpf/cgroupfs.h"
#include "bpf/collect_bpf.h"
#include "bpf/frame.h"
#include "bpf/metrics.h"
#include "bpf/node.h"
#include "bpf/pmu.h"
#include "bpf/verbs.h"
#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"
#include "telemetry/auth.h"
#include "transport/keys.h"

#define MAX_NODES 32
#define MAX_ENDPOINTS 16
#define MAX_PODS 256

typedef struct {
    node_unit unit;
    char rel[PATH_MAX];        /* "" for the whole machine */
    node_unit *pods[MAX_PODS]; /* owned */
    int n_pods;
} node;

static atomic_int stop; /* set by the signal handler (lock-free, async-signal-safe) */
static void on_signal(int sig)
{
    (void)sig, atomic_store(&stop, 1);
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim collect --node NAME[=CGROUP_PATH] ... (--publish ENDPOINT | --connect "
        "ENDPOINT ...)\n"
        "                     [--interval-ms N] [--metrics HOST:PORT] [--count N] [-v]\n"
        "                     [--curve-secret FILE --curve-server FILE]\n\n"
        "Node telemetry collector: eBPF programs on scheduler, block and network tracepoints plus\n"
        "cgroup files; every interval one frame per node, topic \"telemetry.NAME\", JSON body\n"
        "{\"v\":1,\"node\",\"ts_ms\",\"features\":[15],\"available\":[15],\"pods\":{...}}.\n\n"
        "  --node NAME            the whole machine\n"
        "  --node NAME=PATH       a cgroup subtree (relative to each controller's root, e.g.\n"
        "                         kisim/node1, or /sys/fs/cgroup/cpu/kisim/node1); its child\n"
        "                         cgroups are reported as pods (repeatable, at most %d)\n"
        "  --publish ENDPOINT     bind a PUB socket (e.g. tcp://127.0.0.1:5601)\n"
        "  --connect ENDPOINT     connect the PUB socket to a consumer's SUB (repeatable)\n"
        "  --interval-ms N        sampling period, default 1000\n"
        "  --metrics HOST:PORT    serve Prometheus text on http://HOST:PORT/metrics\n"
        "  --count N              stop after N frames per node (default: until SIGINT/SIGTERM)\n"
        "  --curve-secret FILE    CURVE: this collector's secret key (kisim env keygen), whose\n"
        "                         public key the scorer's collectors file binds to these nodes\n"
        "  --curve-server FILE    CURVE: the scorer's public key (score serve\n"
        "                         --telemetry-curve-secret); with --curve-secret\n"
        "  -v                     debug messages (libbpf's and the verifier's too)\n\n"
        "Needs root, or CAP_BPF and CAP_PERFMON. Exit codes: 0 stopped, 1 failure, 2 bad usage.\n",
        MAX_NODES);
}

/* Root, or CAP_BPF + CAP_PERFMON (CAP_SYS_ADMIN covers both on any kernel). Names what lacks. */
static int check_privileges(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capget, &h, d))
        return kisim_seterr(KISIM_EIO, "collect: cannot read this process's capabilities: %s",
                            strerror(errno));
#define HAS(cap) ((d[(cap) / 32].effective >> ((cap) % 32)) & 1u)
    if (HAS(21) || (HAS(39) && HAS(38))) return 0; /* SYS_ADMIN, or BPF (39) and PERFMON (38) */
    return kisim_seterr(KISIM_EUNSUPPORTED,
                        "collect: needs root, or the capabilities CAP_BPF and CAP_PERFMON "
                        "(missing:%s%s); run it with sudo",
                        HAS(39) ? "" : " CAP_BPF", HAS(38) ? "" : " CAP_PERFMON");
#undef HAS
}

/* The BTF tracepoints need no tracefs, but tools that inspect us do: mount it if it is absent. */
static void ensure_tracefs(void)
{
    struct stat st;
    if (stat("/sys/kernel/tracing/events", &st) == 0) return;
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
        log_warn("collect: tracefs is not mounted and mounting it failed (%s); continuing",
                 strerror(errno));
    else
        log_info("collect: mounted tracefs on /sys/kernel/tracing");
}

/* NAME or NAME=PATH into n; PATH must name an existing cgroup of the cpu controller. */
static int parse_node(const char *arg, node *n)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len == 0 || len >= 64 ||
        strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") < len)
        return kisim_seterr(KISIM_EUSAGE,
                            "collect: --node: expected NAME[=CGROUP_PATH] with NAME of "
                            "1-63 letters, digits, '.', '_' or '-', got \"%s\"",
                            arg);
    char name[64];
    memcpy(name, arg, len);
    name[len] = 0;
    memset(n, 0, sizeof *n);
    if (!eq) {
        node_unit_init(&n->unit, name, NULL);
        return 0;
    }
    const char *path = eq + 1, *root = cgroupfs_root("cpu");
    if (!root)
        return kisim_seterr(KISIM_EUSAGE, "collect: --node %s: no cgroup cpu controller is mounted",
                            arg);
    size_t rl = strlen(root);
    if (!strncmp(path, root, rl) && path[rl] == '/')
        path += rl + 1;
    else if (!strncmp(path, "/sys/fs/cgroup/", 15)) /* another controller's folder: same path */
        path = strchr(path + 15, '/') ? strchr(path + 15, '/') + 1 : "";
    while (*path == '/')
        path++;
    if (!*path || strstr(path, "..") || strlen(path) >= sizeof n->rel)
        return kisim_seterr(KISIM_EUSAGE, "collect: --node %s: expected a cgroup path below %s",
                            arg, root);
    snprintf(n->rel, sizeof n->rel, "%s", path);
    node_unit_init(&n->unit, name, n->rel);
    if (!n->unit.cpu_dir[0])
        return kisim_seterr(KISIM_EUSAGE, "collect: --node %s: no cgroup %s/%s", arg, root, n->rel);
    return 0;
}

/* Keeps n's pods in step with the child cgroups of its cpu folder. */
static void refresh_pods(node *n)
{
    if (!n->rel[0]) return;
    for (int i = 0; i < n->n_pods; i++)
        n->pods[i]->valid = -1; /* unseen */
    DIR *d = opendir(n->unit.cpu_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
        int i = 0;
        while (i < n->n_pods && strcmp(n->pods[i]->name, e->d_name))
            i++;
        if (i < n->n_pods) {
            n->pods[i]->valid = 0;
            continue;
        }
        if (n->n_pods == MAX_PODS) continue;
        node_unit *p = malloc(sizeof *p);
        char rel[PATH_MAX];
        if (!p || snprintf(rel, sizeof rel, "%s/%s", n->rel, e->d_name) >= (int)sizeof rel) {
            free(p);
            continue;
        }
        node_unit_init(p, e->d_name, rel);
        n->pods[n->n_pods++] = p;
    }
    if (d) closedir(d);
    for (int i = 0; i < n->n_pods;) /* drop the pods whose cgroup went away */
        if (n->pods[i]->valid == -1) {
            node_unit_free(n->pods[i]);
            free(n->pods[i]);
            n->pods[i] = n->pods[--n->n_pods];
        } else
            i++;
}

static int publish(void *sock, const node *n)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long ts_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    char *body = frame_json(&n->unit, n->pods, n->n_pods, ts_ms);
    if (!body) return kisim_seterr(KISIM_ENOMEM, "collect: out of memory");
    char topic[16 + sizeof n->unit.name];
    snprintf(topic, sizeof topic, "telemetry.%.127s", n->unit.name);
    int ok = zmq_send(sock, topic, strlen(topic), ZMQ_SNDMORE) >= 0 &&
             zmq_send(sock, body, strlen(body), 0) >= 0;
    free(body);
    if (!ok && errno != EINTR)
        return kisim_seterr(KISIM_EIO, "collect: sending a frame: %s", zmq_strerror(errno));
    return 0;
}

/* Packets received by every network device (/proc/net/dev): the whole machine's receive count.
 * The devices count it already; a receive hook could not attribute it to a cgroup anyway. */
static unsigned long long netdev_rx_packets(void)
{
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    unsigned long long sum = 0, bytes, pkts;
    while (f && fgets(line, sizeof line, f)) {
        char *c = strchr(line, ':');
        if (c && sscanf(c + 1, "%llu %llu", &bytes, &pkts) == 2) sum += pkts;
    }
    if (f) fclose(f);
    return sum;
}

/* Samples every node and pod, publishes, refreshes /metrics. */
static int tick(collect *c, pmu *hw, void *sock, metrics *m, node *nodes, int n_nodes, long *frames,
                int send)
{
    collect_snap s;
    int err = collect_read(c, &s);
    if (err) return err;
    s.have_llc = hw && pmu_read(hw, &s.llc_refs, &s.llc_misses) == 0;
    s.total.rx_pkts = netdev_rx_packets();
    double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < n_nodes && !err; i++) {
        refresh_pods(&nodes[i]);
        if (node_unit_sample(&nodes[i].unit, &s, ncpu))
            log_warn("collect: node %s: its cgroup %s is gone; features unavailable",
                     nodes[i].unit.name, nodes[i].rel);
        /* A pod may use at most its node's CPUs: its utilisation is of min(own quota, node's). */
        double node_cap =
            nodes[i].rel[0] ? cgroupfs_cpu_capacity(nodes[i].unit.cpu_dir, ncpu) : ncpu;
        for (int p = 0; p < nodes[i].n_pods; p++)
            node_unit_sample(nodes[i].pods[p], &s, node_cap);
        if (send) err = publish(sock, &nodes[i]);
    }
    collect_snap_free(&s);
    if (send && !err) (*frames)++;
    if (m) {
        node_unit *units[MAX_NODES];
        for (int i = 0; i < n_nodes; i++)
            units[i] = &nodes[i].unit;
        char *page = frame_metrics_text(c, units, n_nodes, *frames);
        if (page) metrics_set(m, page);
        free(page);
    }
    return err;
}

int verb_collect(int argc, char **argv)
{
    static node nodes[MAX_NODES]; /* large (paths): static rather than on the stack */
    const char *publish_ep = NULL, *connect_ep[MAX_ENDPOINTS], *metrics_at = NULL;
    const char *secret_path = NULL, *server_path = NULL;
    char secret[CURVE_KEY_Z85], server[CURVE_KEY_Z85];
    int n_nodes = 0, n_connect = 0, err = 0;
    long interval_ms = 1000, count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "-v")) {
            log_set_level(LOG_DEBUG);
            continue;
        }
        if (strcmp(a, "--node") && strcmp(a, "--publish") && strcmp(a, "--connect") &&
            strcmp(a, "--interval-ms") && strcmp(a, "--metrics") && strcmp(a, "--count") &&
            strcmp(a, "--curve-secret") && strcmp(a, "--curve-server")) {
            fprintf(stderr, "collect: unknown option \"%s\"\n\n", a);
            usage(stderr);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "collect: %s: expected a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--node")) {
            if (n_nodes == MAX_NODES)
                err = kisim_seterr(KISIM_EUSAGE, "collect: --node: at most %d nodes", MAX_NODES);
            else
                err = parse_node(v, &nodes[n_nodes++]);
            for (int j = 0; !err && j < n_nodes - 1; j++)
                if (!strcmp(nodes[j].unit.name, nodes[n_nodes - 1].unit.name))
                    err =
                        kisim_seterr(KISIM_EUSAGE, "collect: --node: the name \"%s\" is used twice",
                                     nodes[j].unit.name);
        } else if (!strcmp(a, "--publish")) {
            publish_ep = v;
        } else if (!strcmp(a, "--connect")) {
            if (n_connect == MAX_ENDPOINTS)
                err = kisim_seterr(KISIM_EUSAGE, "collect: --connect: at most %d endpoints",
                                   MAX_ENDPOINTS);
            else
                connect_ep[n_connect++] = v;
        } else if (!strcmp(a, "--interval-ms")) {
            err = args_int("collect", "--interval-ms", v, 10, 3600000, &interval_ms);
        } else if (!strcmp(a, "--count")) {
            err = args_int("collect", "--count", v, 1, 1000000000, &count);
        } else if (!strcmp(a, "--curve-secret")) {
            secret_path = v;
        } else if (!strcmp(a, "--curve-server")) {
            server_path = v;
        } else {
            metrics_at = v;
        }
        if (err) {
            fprintf(stderr, "%s\n", kisim_errmsg());
            return 2;
        }
    }
    if (!n_nodes || (!publish_ep && !n_connect) || (publish_ep && n_connect)) {
        fprintf(stderr, "collect: give at least one --node and either --publish or --connect\n\n");
        usage(stderr);
        return 2;
    }
    if (!secret_path != !server_path) {
        fprintf(stderr, "collect: --curve-secret and --curve-server go together\n");
        return 2;
    }
    if (secret_path && ((err = curve_available()) || (err = curve_read_key(secret_path, secret)) ||
                        (err = curve_read_key(server_path, server)))) {
        fprintf(stderr, "collect: %s\n", kisim_errmsg());
        return kisim_exit_code(err);
    }
    if ((err = check_privileges())) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        return 1;
    }
    collect *c = NULL;
    metrics *m = NULL;
    pmu *hw = NULL;
    void *ctx = NULL, *sock = NULL;
    long frames = 0;
    ensure_tracefs();
    int hier = cgroupfs_hier_id("cpu");
    if ((err = collect_open(&c, hier > 0 ? (unsigned)hier : 0))) goto cleanup;
    hw = pmu_open(); /* NULL without a PMU: the L3 miss rate is then unavailable */
    ctx = zmq_ctx_new();
    sock = ctx ? zmq_socket(ctx, ZMQ_PUB) : NULL;
    if (!sock) {
        err = kisim_seterr(KISIM_EIO, "collect: cannot create a ZeroMQ socket: %s",
                           zmq_strerror(errno));
        goto cleanup;
    }
    int linger = 500; /* the last frames still leave at exit, without hanging on a dead peer */
    zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (secret_path && (err = telem_curve_client(sock, secret, server))) goto cleanup;
    if (publish_ep && zmq_bind(sock, publish_ep)) {
        err = kisim_seterr(KISIM_EUSAGE, "collect: --publish %s: %s", publish_ep,
                           zmq_strerror(errno));
        goto cleanup;
    }
    for (int i = 0; i < n_connect; i++)
        if (zmq_connect(sock, connect_ep[i])) {
            err = kisim_seterr(KISIM_EUSAGE, "collect: --connect %s: %s", connect_ep[i],
                               zmq_strerror(errno));
            goto cleanup;
        }
    if (metrics_at && (err = metrics_open(&m, metrics_at))) goto cleanup;
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: sleeps end at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    log_info("collect: %d node(s), every %ld ms, %s %s%s", n_nodes, interval_ms,
             publish_ep ? "publishing on" : "connected to", publish_ep ? publish_ep : connect_ep[0],
             n_connect > 1 ? " and more" : "");
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    if ((err = tick(c, hw, sock, m, nodes, n_nodes, &frames, 0))) goto cleanup; /* first reading */
    while (!atomic_load(&stop) && (!count || frames < count)) {
        next.tv_nsec += (interval_ms % 1000) * 1000000;
        next.tv_sec += interval_ms / 1000 + next.tv_nsec / 1000000000;
        next.tv_nsec %= 1000000000;
        while (!atomic_load(&stop) &&
               clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {
        }
        if (atomic_load(&stop)) break;
        if ((err = tick(c, hw, sock, m, nodes, n_nodes, &frames, 1))) goto cleanup;
    }
    log_info("collect: stopped after %ld frame(s) per node; detaching", frames);
cleanup:
    if (err) fprintf(stderr, "%s\n", kisim_errmsg());
    metrics_close(m);
    if (sock) zmq_close(sock);
    if (ctx) zmq_ctx_term(ctx);
    pmu_close(hw);
    collect_close(c);
    memset(secret, 0, sizeof secret);
    for (int i = 0; i < n_nodes; i++) {
        for (int p = 0; p < nodes[i].n_pods; p++) {
            node_unit_free(nodes[i].pods[p]);
            free(nodes[i].pods[p]);
        }
        node_unit_free(&nodes[i].unit);
    }
    return err ? kisim_exit_code(err) : 0;
}
