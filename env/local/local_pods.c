/* local_pods.c: the local backend's pods as processes. Each pod gets a cgroup under its node and
 * one process started in it: a replica runs `kisim target` on a free 127.0.0.1 port and counts
 * as up once /healthz answers; a noisy neighbour or a batch pod runs stress-ng's CPU stressor.
 * Stopping a pod kills everything in its cgroup and removes the group. */
#include "common/clock.h"
#include "env/local/local_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"

#define MIB (1024LL * 1024LL)
#define GIB (1024LL * MIB)
/* Attempts at starting a replica (a free port can be taken between our probe and its bind). */
#define REPLICA_ATTEMPTS 3

static void requests_add(node_view *v, const local_pod *p, int sign)
{
    v->cpu_req_m += sign * llround(p->cpu_req * 1000.0);
    v->mem_req_b += sign * llround(p->mem_req_gib * (double)GIB);
    v->pods += sign;
}

void local__pod_cgroup(const local *l, const local_pod *p, char *buf)
{
    snprintf(buf, LOCAL_REL_MAX, "%s/%s", l->nodes[p->node].cgroup, p->name);
}

void local__pod_view(const local_pod *p, pod_view *v)
{
    int replica = p->kind == LOCAL_POD_REPLICA;
    *v = (pod_view){llround(p->cpu_req * 1000.0),
                    llround(p->mem_req_gib * (double)GIB),
                    0,
                    0,
                    replica ? POD_LATENCY_SENSITIVE : POD_BATCH,
                    replica};
}

int local__fits(const local *l, const local_pod *p, int node)
{
    const node_view *v = &l->nodes[node].view;
    return v->cpu_req_m + llround(p->cpu_req * 1000.0) <= v->cpu_alloc_m &&
           v->mem_req_b + llround(p->mem_req_gib * (double)GIB) <= v->mem_alloc_b &&
           v->pods + 1 <= v->pods_alloc;
}

void local__make_replica(const local *l, local_pod *p)
{
    memset(p, 0, sizeof *p);
    p->kind = LOCAL_POD_REPLICA;
    p->node = -1;
    p->expires_at = INFINITY;
    p->cpu_req = l->cfg.workload.service.cpu_request;
    p->mem_req_gib = l->cfg.workload.service.memory_gib;
}

void local__make_batch(local *l, local_pod *p)
{
    memset(p, 0, sizeof *p);
    p->kind = LOCAL_POD_BATCH;
    p->node = -1;
    p->cpu_req = l->cfg.local.batch.cpu_request;
    p->mem_req_gib = LOCAL_BATCH_MEM_REQ;
    p->demand = l->cfg.local.batch.cpu_load / 100.0;
    p->expires_at =
        l->base.t + rng_exponential(&l->rng, l->cfg.workload.background.mean_lifetime_s);
}

/* A port on 127.0.0.1 that nothing listens on now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* 1 if GET /healthz on 127.0.0.1:port answers 200. */
static int healthy(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char buf[64] = "";
    static const char req[] = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
             write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1) &&
             read(fd, buf, sizeof buf - 1) > 12 && !strncmp(buf + 8, " 200", 4);
    close(fd);
    return ok;
}

/* Waits until the replica answers /healthz: 0, 1 if its process exited (e.g. the port was
 * taken), or KISIM_ETIMEOUT. */
static int wait_healthy(local *l, const local_pod *p, const char *log)
{
    double deadline = clock_mono_s() + l->cfg.local.startup_timeout_s;
    for (int ms = 5;; ms = ms < 200 ? 2 * ms : 200) {
        if (healthy(p->port)) return 0;
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) return 1;
        if (clock_mono_s() > deadline)
            return kisim_seterr(KISIM_ETIMEOUT,
                                "local: replica %s (kisim target on 127.0.0.1:%d) did not answer "
                                "/healthz within %.0f s; see %s",
                                p->name, p->port, l->cfg.local.startup_timeout_s, log);
        usleep((useconds_t)ms * 1000);
    }
}

static int spawn_pod(local *l, local_pod *p, const char *rel, const char *log)
{
    const kisim_config *c = &l->cfg;
    char a[6][32];
    if (p->kind == LOCAL_POD_REPLICA) {
        snprintf(a[0], sizeof a[0], "127.0.0.1:%d", p->port);
        snprintf(a[1], sizeof a[1], "%ld", lround(c->workload.service.base_service_ms * 1000));
        snprintf(a[2], sizeof a[2], "%ld", lround(c->workload.service.working_set_mb * 1024));
        snprintf(a[3], sizeof a[3], "%d", c->local.target_threads);
        char *argv[] = {l->kisim,           "target", "--listen",  a[0], "--cpu-us", a[1],
                        "--working-set-kb", a[2],     "--threads", a[3], NULL};
        return local_cgroup_spawn(&l->cg, rel, argv, log, &p->pid);
    }
    int noisy = p->kind == LOCAL_POD_NOISY;
    snprintf(a[0], sizeof a[0], "%d", noisy ? c->local.noisy.cpu_workers : 1);
    snprintf(a[1], sizeof a[1], "%d", noisy ? c->local.noisy.cpu_load : c->local.batch.cpu_load);
    char stress[PATH_MAX];
    snprintf(stress, sizeof stress, "%s", c->local.stress_ng);
    char *argv[] = {stress, "--cpu", a[0], "--cpu-load", a[1], "--quiet", NULL};
    return local_cgroup_spawn(&l->cg, rel, argv, log, &p->pid);
}

static int add_pod(local *l, const local_pod *p)
{
    if (l->n_pods == l->cap_pods) {
        int cap = l->cap_pods ? 2 * l->cap_pods : 32;
        local_pod *np = realloc(l->pods, (size_t)cap * sizeof *np);
        if (!np) return kisim_seterr(KISIM_ENOMEM, "local: out of memory for %d pods", cap);
        l->pods = np;
        l->cap_pods = cap;
    }
    l->pods[l->n_pods++] = *p;
    local_node *n = &l->nodes[p->node];
    requests_add(&n->view, p, +1);
    n->noisy += p->kind == LOCAL_POD_NOISY;
    n->replicas += p->kind == LOCAL_POD_REPLICA;
    return 0;
}

int local__start_pod(local *l, local_pod *p)
{
    static const char *const prefix[] = {"r", "noisy", "b"};
    snprintf(p->name, sizeof p->name, "%s%d", prefix[p->kind], l->next_id++);
    p->placed_at = l->base.t;
    char rel[LOCAL_REL_MAX], log[PATH_MAX + 32];
    local__pod_cgroup(l, p, rel);
    snprintf(log, sizeof log, "%s/%s.log", l->dir, p->name);
    int err = local_cgroup_make(&l->cg, rel);
    for (int attempt = 0; !err && attempt < REPLICA_ATTEMPTS; attempt++) {
        if (p->kind == LOCAL_POD_REPLICA && (p->port = free_port()) < 0)
            err = kisim_seterr(KISIM_EIO, "local: no free port on 127.0.0.1: %s", strerror(errno));
        if (!err) err = spawn_pod(l, p, rel, log);
        if (err || p->kind != LOCAL_POD_REPLICA) break;
        int up = wait_healthy(l, p, log);
        if (up <= 0) {
            err = up;
            break;
        }
        log_warn("local: replica %s exited at start-up (port %d taken?); retrying", p->name,
                 p->port);
        if (attempt + 1 == REPLICA_ATTEMPTS)
            err = kisim_seterr(KISIM_EIO, "local: replica %s exited at start-up %d times; see %s",
                               p->name, REPLICA_ATTEMPTS, log);
    }
    if (!err) err = local_cgroup_usage_ns(&l->cg, rel, &p->cpu_ns);
    if (!err) err = add_pod(l, p);
    if (err) {
        local_cgroup_remove(&l->cg, rel, 5);
        if (p->pid > 0) waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
    return err;
}

void local__stop_pod(local *l, int i)
{
    local_pod *p = &l->pods[i];
    char rel[LOCAL_REL_MAX];
    local__pod_cgroup(l, p, rel);
    if (local_cgroup_remove(&l->cg, rel, 5)) log_warn("%s", kisim_errmsg());
    waitpid(p->pid, NULL, 0); /* killed above; ECHILD if already reaped */
    local_node *n = &l->nodes[p->node];
    requests_add(&n->view, p, -1);
    n->noisy -= p->kind == LOCAL_POD_NOISY;
    n->replicas -= p->kind == LOCAL_POD_REPLICA;
    l->pods[i] = l->pods[--l->n_pods];
}

void local__stop_all(local *l)
{
    while (l->n_pods)
        local__stop_pod(l, l->n_pods - 1);
}

int local__update_targets(local *l)
{
    if (!l->lc) return 0;
    char(*addr)[24] = calloc((size_t)l->n_pods + 1, sizeof *addr);
    const char **addrs = calloc((size_t)l->n_pods + 1, sizeof *addrs);
    int n = 0, err = 0;
    if (!addr || !addrs) err = kisim_seterr(KISIM_ENOMEM, "local: out of memory");
    for (int i = 0; i < l->n_pods && !err; i++) {
        if (l->pods[i].kind != LOCAL_POD_REPLICA) continue;
        snprintf(addr[n], sizeof addr[n], "127.0.0.1:%d", l->pods[i].port);
        addrs[n] = addr[n];
        n++;
    }
    if (!err) err = locust_set_targets(l->lc, addrs, n);
    free(addr);
    free(addrs);
    return err;
}
