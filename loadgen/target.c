/* target.c: `kisim target`, the latency-sensitive service the local backend runs as replicas.
 * Each request walks a memory working set and burns CPU time measured on the thread's CPU clock
 * (not wall time), so a replica whose cgroup is throttled answers late rather than doing less.
 *
 * Concurrency: libmicrohttpd with one internal polling thread (epoll) by default, so a replica
 * is one server serving requests in turn, the M/M/1 queue the sim models; --threads N uses a
 * pool of N such threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cli_args.h"
#include "common/err.h"
#include "common/rng.h"
#include "loadgen/verbs.h"

#define LINE 64 /* bytes per cache line: the walk touches each once */

typedef struct {
    long cpu_us;         /* CPU time each request takes, walk included */
    size_t lines;        /* working-set size in cache lines (0: no walk) */
    uint32_t *next;      /* owned; next[i * LINE/4] = the line after line i, one cycle */
    atomic_ulong served; /* requests answered with work */
} target;

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim target --listen HOST:PORT [--cpu-us N] [--working-set-kb N] [--threads N]\n"
        "\n"
        "The latency-sensitive service: an HTTP server whose every GET (any path but /healthz)\n"
        "walks a working set of N KiB in a random cyclic order (one dependent load per 64-byte\n"
        "line, so the CPU caches matter) and then burns CPU until the request has used\n"
        "--cpu-us microseconds of the serving thread's CPU clock. Throttling of the process's\n"
        "cgroup therefore shows as latency. Answers 200 \"ok\" with the header X-Kisim-Cpu-Us\n"
        "(the thread CPU time the request used). GET /healthz answers 200 \"ok\" without work.\n"
        "\n"
        "  --listen HOST:PORT    IPv4 address and port; port 0 picks a free one\n"
        "  --cpu-us N            CPU microseconds per request, 0..10000000 (default 1000)\n"
        "  --working-set-kb N    KiB walked per request, 0..4194304 (default 0)\n"
        "  --threads N           requests served at once, 1..64 (default 1: one server, in turn)\n"
        "\n"
        "Prints \"kisim target: listening on HOST:PORT\" once serving. SIGINT or SIGTERM stop it\n"
        "(exit 0). Exit codes: 0 success, 1 failure, 2 bad usage.\n");
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One pass over the working set: a pointer chase through every line, so each load waits for
 * the previous one (no prefetching hides a miss). Returns the end index so it is not elided. */
static uint32_t walk(const target *t)
{
    uint32_t i = 0;
    for (size_t n = 0; n < t->lines; n++)
        i = t->next[(size_t)i * (LINE / 4)];
    return i;
}

/* The request's work; returns the thread CPU time it used, in microseconds. */
static long work(const target *t)
{
    int64_t start = thread_cpu_ns(), budget = (int64_t)t->cpu_us * 1000, used;
    volatile uint32_t sink = walk(t);
    double x = sink;
    while ((used = thread_cpu_ns() - start) < budget)
        for (int k = 0; k < 200; k++)
            x = x * 1.0000001 + 1e-9; /* ~0.2-0.5 us between reads */
    volatile double keep = x;
    (void)keep;
    return (long)(used / 1000);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *body,
                             long cpu_us)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain");
    if (cpu_us >= 0) {
        char v[32];
        snprintf(v, sizeof v, "%ld", cpu_us);
        MHD_add_response_header(r, "X-Kisim-Cpu-Us", v);
    }
    enum MHD_Result ret = MHD_queue_response(conn, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version, (void)upload;
    target *t = cls;
    if (!*state) { /* first call: headers only; a body (if any) follows in later calls */
        *state = t;
        return MHD_YES;
    }
    if (*upload_size) { /* a body we do not use: consume it, answer at the end */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", -1);
    if (!strcmp(url, "/healthz")) return reply(conn, MHD_HTTP_OK, "ok\n", -1);
    long used = work(t);
    atomic_fetch_add(&t->served, 1);
    return reply(conn, MHD_HTTP_OK, "ok\n", used);
}

/* A random single cycle through all lines (Sattolo's algorithm), fixed seed. */
static int build_working_set(target *t, long kb)
{
    t->lines = (size_t)kb * 1024 / LINE;
    if (!t->lines) return 0;
    if (t->lines > UINT32_MAX)
        return kisim_seterr(KISIM_EUSAGE, "kisim target: --working-set-kb: too large");
    t->next = aligned_alloc(LINE, t->lines * LINE);
    uint32_t *perm = malloc(t->lines * sizeof *perm);
    if (!t->next || !perm) {
        free(perm);
        return kisim_seterr(KISIM_ENOMEM, "kisim target: cannot allocate a %ld KiB working set",
                            kb);
    }
    memset(t->next, 0, t->lines * LINE); /* resident before the first request */
    rng r;
    rng_seed(&r, 1);
    for (size_t i = 0; i < t->lines; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = t->lines - 1; i > 0; i--) {
        size_t j = rng_next(&r) % i; /* j < i: one cycle, not many */
        uint32_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }
    for (size_t i = 0; i < t->lines; i++)
        t->next[(size_t)perm[i] * (LINE / 4)] = perm[(i + 1) % t->lines];
    free(perm);
    return 0;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
    const char *colon = strrchr(s, ':');
    char host[64];
    long port;
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof host ||
        args_int("kisim target", "--listen", colon + 1, 0, 65535, &port) < 0)
        return kisim_seterr(KISIM_EUSAGE,
                            "kisim target: --listen: expected HOST:PORT (IPv4, port 0-65535), "
                            "got \"%s\"",
                            s);
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return kisim_seterr(KISIM_EUSAGE,
                            "kisim target: --listen: expected an IPv4 address, got \"%s\"", host);
    return 0;
}

static int parse_args(int argc, char **argv, const char **listen, long *cpu_us, long *ws_kb,
                      long *threads)
{
    static const char *const opts[] = {"--listen", "--cpu-us", "--working-set-kb", "--threads"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = argv[i + 1];
        int k = 0;
        while (k < 4 && strcmp(a, opts[k]))
            k++;
        if (k == 4) return kisim_seterr(KISIM_EUSAGE, "kisim target: unknown argument \"%s\"", a);
        if (!v) return kisim_seterr(KISIM_EUSAGE, "kisim target: %s: missing its value", a);
        i++;
        int err = k == 0   ? (*listen = v, 0)
                  : k == 1 ? args_int("kisim target", a, v, 0, 10000000, cpu_us)
                  : k == 2 ? args_int("kisim target", a, v, 0, 4194304, ws_kb)
                           : args_int("kisim target", a, v, 1, 64, threads);
        if (err) return err;
    }
    if (!*listen) return kisim_seterr(KISIM_EUSAGE, "kisim target: --listen HOST:PORT is required");
    return 0;
}

int verb_target(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    const char *listen = NULL;
    long cpu_us = 1000, ws_kb = 0, threads = 1;
    struct sockaddr_in sa;
    int err = parse_args(argc, argv, &listen, &cpu_us, &ws_kb, &threads);
    if (!err) err = parse_listen(listen, &sa);
    if (err) {
        fprintf(stderr, "%s\n\n", kisim_errmsg());
        usage(stderr);
        return 2;
    }

    target t = {.cpu_us = cpu_us};
    struct MHD_Daemon *d = NULL;
    if ((err = build_working_set(&t, ws_kb)) < 0) goto cleanup;

    /* Block the stop signals before MHD starts its threads (they inherit the mask), and wait
     * for them here; ignore SIGPIPE from clients that hang up. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    /* MHD warns about a pool of size 1, so one thread is no pool (the options end early). */
    d = MHD_start_daemon(flags, 0, NULL, NULL, answer, &t, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
                         threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
                         (unsigned)threads, MHD_OPTION_END);
    if (!d) {
        err = kisim_seterr(KISIM_EIO, "kisim target: cannot serve on %s: %s", listen,
                           errno ? strerror(errno) : "libmicrohttpd refused");
        goto cleanup;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
    printf("kisim target: listening on %s:%u (cpu %ld us, working set %ld KiB, %ld thread%s)\n",
           host, info ? (unsigned)info->port : (unsigned)ntohs(sa.sin_port), cpu_us, ws_kb, threads,
           threads > 1 ? "s" : "");
    fflush(stdout);

    int sig;
    while (sigwait(&stop, &sig) != 0) {
    }
    fprintf(stderr, "kisim target: %s: stopping after %lu requests\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long)atomic_load(&t.served));
cleanup:
    if (d) MHD_stop_daemon(d);
    free(t.next);
    if (err) fprintf(stderr, "%s\n", kisim_errmsg());
    return kisim_exit_code(err);
}
