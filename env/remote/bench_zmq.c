/* bench_zmq.c: `kisim bench zmq`: decisions per second through the env server, for K envs per
 * request over ipc:// and tcp://127.0.0.1, from the C client and from the Python client. The
 * benchmark starts each server itself (`kisim env serve` from this same binary, stopped by pid)
 * and checks what came back: the CRC-32 of every observation received must equal that of an
 * in-process vecenv driven with the same seed and actions, so a server that skipped work or
 * replayed stale observations would fail instead of looking fast.
 *
 * Actions follow a fixed rule (the first allowed node at or after (t + k) mod N_max, the first
 * allowed scale at or after (t + k) mod 3, for env k at step t): cheap, deterministic, and the
 * same in kisim_env/bench.py. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include "common/cli_args.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/provenance.h"
#include "common/stats.h"
#include "env/remote/client.h"
#include "env/remote/verbs.h"
#include "env/vecenv.h"

#ifndef KISIM_SOURCE_DIR
#define KISIM_SOURCE_DIR "."
#endif

typedef struct {
    const char *config, *python, *pythonpath;
    long runs, decisions;
    uint64_t seed;
    int json;
} bench_opts;

typedef struct {
    double rate, mb; /* medians: decisions/s, MB/s (10^6 bytes of reply arrays) */
    uint32_t crc;
} bench_result;

static void rule_actions(const uint8_t *mask, int k_envs, int n_max, long t, int32_t *out)
{
    int md = n_max + 3;
    for (int k = 0; k < k_envs; k++) {
        const uint8_t *m = mask + (size_t)k * md;
        int node = (int)((t + k) % n_max), scale = (int)((t + k) % 3);
        for (int i = 0; i < n_max && !m[node]; i++)
            node = (node + 1) % n_max;
        for (int i = 0; i < 3 && !m[n_max + scale]; i++)
            scale = (scale + 1) % 3;
        out[2 * k] = node;
        out[2 * k + 1] = scale;
    }
}

/* Reply bytes per env per step: obs, reward, terminated, truncated, mask, info. */
static double step_bytes(const env_spaces *sp)
{
    return sp->obs_dim * 4.0 + 4 + 1 + 1 + sp->mask_dim + sp->n_info * 4.0;
}

/* The arrays one run needs, for K envs. */
typedef struct {
    float *obs, *rew, *info;
    uint8_t *mask, *term, *trunc;
    int32_t *act;
} bufs;

static int bufs_alloc(bufs *b, const env_spaces *sp, int k)
{
    b->obs = malloc((size_t)k * sp->obs_dim * sizeof *b->obs);
    b->info = malloc((size_t)k * sp->n_info * sizeof *b->info);
    b->rew = malloc((size_t)k * sizeof *b->rew);
    b->mask = malloc((size_t)k * sp->mask_dim);
    b->term = malloc((size_t)k);
    b->trunc = malloc((size_t)k);
    b->act = malloc((size_t)k * 2 * sizeof *b->act);
    if (b->obs && b->info && b->rew && b->mask && b->term && b->trunc && b->act) return 0;
    return kisim_seterr(KISIM_ENOMEM, "bench zmq: out of memory");
}

static void bufs_free(bufs *b)
{
    free(b->obs), free(b->info), free(b->rew), free(b->mask), free(b->term), free(b->trunc);
    free(b->act);
}

/* The in-process reference: same seed, same rule, CRC of every observation. */
static int reference_crc(const kisim_config *cfg, int k, long steps, uint64_t seed, uint32_t *crc)
{
    vecenv *v = NULL;
    bufs b = {0};
    env_spaces sp;
    int err = vecenv_init(&v, cfg, k);
    if (err) goto cleanup;
    env_get_spaces(vecenv_env(v, 0), &sp);
    size_t ob = (size_t)k * sp.obs_dim * sizeof(float);
    if ((err = bufs_alloc(&b, &sp, k)) || (err = vecenv_reset(v, seed, b.obs, b.mask)))
        goto cleanup;
    uLong c = crc32(0, (const Bytef *)b.obs, (uInt)ob);
    for (long t = 0; t < steps && !err; t++) {
        rule_actions(b.mask, k, sp.n_max, t, b.act);
        err = vecenv_step(v, b.act, b.obs, b.mask, b.rew, b.term, b.trunc, b.info);
        c = crc32(c, (const Bytef *)b.obs, (uInt)ob);
    }
    *crc = (uint32_t)c;
cleanup:
    bufs_free(&b);
    vecenv_free(v);
    return err;
}

static int run_c_client(const char *endpoint, int k, long steps, const bench_opts *o,
                        bench_result *res)
{
    kisim_client *c = NULL;
    bufs b = {0};
    double *rate = calloc((size_t)o->runs, sizeof *rate), *mb = calloc((size_t)o->runs, sizeof *mb);
    int err = rate && mb ? 0 : kisim_seterr(KISIM_ENOMEM, "bench zmq: out of memory");
    if (!err) err = client_open(&c, &endpoint, 1, &(client_opts){.timeout_ms = 30000});
    env_spaces sp;
    if (!err) {
        client_get_spaces(c, &sp);
        if (client_size(c) != k)
            err = kisim_seterr(KISIM_EINTERNAL, "bench zmq: %s hosts %d envs, not %d", endpoint,
                               client_size(c), k);
    }
    if (!err) err = bufs_alloc(&b, &sp, k);
    size_t ob = (size_t)k * sp.obs_dim * sizeof(float);
    for (long r = 0; r < o->runs && !err; r++) {
        if ((err = client_reset(c, o->seed, b.obs, b.mask))) break;
        uLong crc = crc32(0, (const Bytef *)b.obs, (uInt)ob);
        double t0 = clock_mono_s();
        for (long t = 0; t < steps && !err; t++) {
            rule_actions(b.mask, k, sp.n_max, t, b.act);
            err = client_step(c, b.act, b.obs, b.mask, b.rew, b.term, b.trunc, b.info);
            crc = crc32(crc, (const Bytef *)b.obs, (uInt)ob);
        }
        double dt = clock_mono_s() - t0;
        rate[r] = (double)steps * k / dt;
        mb[r] = steps * k * step_bytes(&sp) / dt / 1e6;
        if (r > 0 && (uint32_t)crc != res->crc && !err)
            err = kisim_seterr(KISIM_EINTERNAL,
                               "bench zmq: runs of the same seed gave different "
                               "trajectories (CRC %08x, then %08lx)",
                               res->crc, crc);
        res->crc = (uint32_t)crc;
    }
    if (!err) {
        res->rate = stats_median(rate, (int)o->runs);
        res->mb = stats_median(mb, (int)o->runs);
    }
    bufs_free(&b);
    client_close(c);
    free(rate);
    free(mb);
    return err;
}

/* Starts a child with argv, its stdout on a pipe; returns the pid, the pipe in *out_fd. */
static pid_t spawn(char *const argv[], const char *pythonpath, int *out_fd)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a benchmark stopped mid-way takes its server along */
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        if (pythonpath) setenv("PYTHONPATH", pythonpath, 1);
        execv(argv[0], argv);
        fprintf(stderr, "bench zmq: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    *out_fd = fds[0];
    return pid;
}

/* Reads the child's output until EOF or timeout; NUL-terminated, malloc'd. */
static char *read_all(int fd, double timeout_s, int stop_at_newline)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    double deadline = clock_mono_s() + timeout_s;
    while (buf) {
        struct pollfd p = {fd, POLLIN, 0};
        int wait = (int)((deadline - clock_mono_s()) * 1000);
        if (wait <= 0 || poll(&p, 1, wait) <= 0) break;
        if (len + 1024 > cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) break;
            buf = nb;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0) break;
        len += (size_t)n;
        buf[len] = 0;
        if (stop_at_newline && memchr(buf, '\n', len)) break;
    }
    if (buf) buf[len] = 0;
    return buf;
}

/* Stops a child by pid: SIGTERM, then SIGKILL if it has not exited within 5 s. */
static int stop_child(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) return status;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

static int run_python_client(const char *endpoint, long steps, const bench_opts *o,
                             bench_result *res)
{
    char steps_s[32], runs_s[32], seed_s[32];
    snprintf(steps_s, sizeof steps_s, "%ld", steps);
    snprintf(runs_s, sizeof runs_s, "%ld", o->runs);
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)o->seed);
    char *argv[] = {(char *)o->python,
                    "-m",
                    "kisim_env.bench",
                    "--endpoint",
                    (char *)endpoint,
                    "--steps",
                    steps_s,
                    "--runs",
                    runs_s,
                    "--seed",
                    seed_s,
                    NULL};
    int fd;
    pid_t pid = spawn(argv, o->pythonpath, &fd);
    if (pid < 0) return kisim_seterr(KISIM_EIO, "bench zmq: cannot start %s", o->python);
    char *out = read_all(fd, 3600, 0);
    close(fd);
    int status;
    waitpid(pid, &status, 0);
    cJSON *d = out ? cJSON_Parse(out) : NULL;
    const cJSON *rate = cJSON_GetObjectItem(d, "decisions_per_s");
    const cJSON *mb = cJSON_GetObjectItem(d, "mb_per_s");
    const cJSON *crc = cJSON_GetObjectItem(d, "trajectory_crc32");
    int err = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !cJSON_IsNumber(rate) ||
        !cJSON_IsNumber(mb) || !cJSON_IsString(crc))
        err = kisim_seterr(KISIM_EIO,
                           "bench zmq: the Python client (%s -m kisim_env.bench, "
                           "PYTHONPATH %s) failed (status %d): %.300s",
                           o->python, o->pythonpath, status, out ? out : "");
    else {
        res->rate = rate->valuedouble;
        res->mb = mb->valuedouble;
        res->crc = (uint32_t)strtoul(crc->valuestring, NULL, 16);
    }
    cJSON_Delete(d);
    free(out);
    return err;
}

static void report(const bench_opts *o, int *first, const char *client, const char *transport,
                   int k, const bench_result *r, uint32_t ref)
{
    if (o->json) {
        printf("%s{\"client\": \"%s\", \"transport\": \"%s\", \"envs\": %d, "
               "\"decisions_per_s\": %.0f, \"mb_per_s\": %.1f, \"trajectory_crc32\": \"%08x\", "
               "\"in_process_crc32\": \"%08x\", \"decisions\": %ld, \"runs\": %ld}",
               *first ? "" : ",\n ", client, transport, k, r->rate, r->mb, r->crc, ref,
               o->decisions, o->runs);
    } else {
        printf("  %-6s  %-3s  %4d  %12.0f  %9.1f  %08x  %s\n", client, transport, k, r->rate, r->mb,
               r->crc, r->crc == ref ? "= in-process" : "DIFFERS from in-process");
    }
    *first = 0;
    fflush(stdout);
}

static void bench_usage(FILE *out)
{
    fprintf(
        out,
        "usage: kisim bench zmq [--config FILE] [--envs K,K,...] [--transports ipc,tcp]\n"
        "                       [--clients c,python] [--runs R] [--decisions D] [--seed S]\n"
        "                       [--python PATH] [--json]\n\n"
        "Decisions per second through `kisim env serve`, for each K (default 1,16,64),\n"
        "transport (ipc:// in /tmp, tcp://127.0.0.1) and client (C, Python): the median of\n"
        "R runs (default 5) of D decisions (default 32768) from a reset of seed S (default\n"
        "1). MB/s counts the reply arrays. Every client's CRC-32 of all observations it\n"
        "received must equal an in-process vecenv's with the same seed and actions; if not,\n"
        "exit 1. The config defaults to configs/quickstart.json; the Python client runs as\n"
        "PATH -m kisim_env.bench (default /usr/bin/python3) with PYTHONPATH env/python.\n"
        "--json prints [{\"client\", \"transport\", \"envs\", \"decisions_per_s\", \"mb_per_s\",\n"
        "\"trajectory_crc32\", \"in_process_crc32\", \"decisions\", \"runs\"}, ...].\n");
}

/* Splits a comma list into items; 0 or KISIM_EUSAGE naming the option. */
static int split_list(char *text, const char *opt, const char *const *allowed, int *mask)
{
    *mask = 0;
    for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ",")) {
        int found = 0;
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(tok, allowed[i])) *mask |= 1 << i, found = 1;
        if (!found) return kisim_seterr(KISIM_EUSAGE, "bench zmq: %s: unknown \"%s\"", opt, tok);
    }
    return *mask ? 0 : kisim_seterr(KISIM_EUSAGE, "bench zmq: %s: empty list", opt);
}

/* One K, one transport: the server, then each client. */
static int bench_one(const bench_opts *o, int k, int transport, int clients, uint32_t ref,
                     int *first, int *mismatch)
{
    static const char *const tnames[] = {"ipc", "tcp"};
    char bind[128], kbuf[16], exe[4096];
    if (transport == 0)
        snprintf(bind, sizeof bind, "ipc:///tmp/kisim-bench-%ld-%d.sock", (long)getpid(), k);
    else
        snprintf(bind, sizeof bind, "tcp://127.0.0.1:*");
    snprintf(kbuf, sizeof kbuf, "%d", k);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return kisim_seterr(KISIM_EIO, "bench zmq: cannot find this executable");
    exe[n] = 0;
    char *argv[] = {exe,      "env", "serve",   "--config", (char *)o->config, "--bind", bind,
                    "--envs", kbuf,  "--quiet", NULL};
    int fd;
    pid_t pid = spawn(argv, NULL, &fd);
    if (pid < 0) return kisim_seterr(KISIM_EIO, "bench zmq: cannot start the server");
    char *line = read_all(fd, 30, 1);
    close(fd);
    char endpoint[256] = "";
    if (line && sscanf(line, "endpoint %255s", endpoint) != 1) endpoint[0] = 0;
    free(line);
    int err = 0;
    if (!endpoint[0]) {
        stop_child(pid);
        return kisim_seterr(KISIM_EIO, "bench zmq: the server (K = %d, %s) did not start", k, bind);
    }
    long steps = (o->decisions + k - 1) / k;
    for (int c = 0; c < 2 && !err; c++) {
        if (!(clients & (1 << c))) continue;
        bench_result r = {0};
        log_info("bench zmq: %s client, %s, K = %d: %ld runs of %ld steps", c ? "python" : "C",
                 tnames[transport], k, o->runs, steps);
        err =
            c ? run_python_client(endpoint, steps, o, &r) : run_c_client(endpoint, k, steps, o, &r);
        if (err) break;
        report(o, first, c ? "python" : "c", tnames[transport], k, &r, ref);
        *mismatch |= r.crc != ref;
    }
    int status = stop_child(pid);
    if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
        err = kisim_seterr(KISIM_EINTERNAL,
                           "bench zmq: the server did not stop cleanly on "
                           "SIGTERM (status %d)",
                           status);
    return err;
}

int bench_zmq_main(int argc, char **argv)
{
    static const char *const tnames[] = {"ipc", "tcp", NULL}, *const cnames[] = {"c", "python",
                                                                                 NULL};
    bench_opts o = {.config = KISIM_SOURCE_DIR "/configs/quickstart.json",
                    .python = "/usr/bin/python3",
                    .pythonpath = KISIM_SOURCE_DIR "/env/python",
                    .runs = 5,
                    .decisions = 32768,
                    .seed = 1};
    const char *envs = "1,16,64", *tr = "ipc,tcp", *cl = "c,python";
    const args_opt opts[] = {
        ARGS_OPT_STR("config", 'c', &o.config),
        ARGS_OPT_STR("envs", 'k', &envs),
        ARGS_OPT_STR("transports", 't', &tr),
        ARGS_OPT_STR("clients", 'l', &cl),
        ARGS_OPT_LONG("runs", 'r', &o.runs, 1, 1000),
        ARGS_OPT_LONG("decisions", 'd', &o.decisions, 1, 1L << 40),
        ARGS_OPT_U64("seed", 's', &o.seed),
        ARGS_OPT_STR("python", 'p', &o.python),
        ARGS_OPT_FLAG("json", 'j', &o.json),
    };
    int err = args_parse("bench zmq", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(bench_usage, err);
    char envs_arg[256], tr_arg[64], cl_arg[64];
    snprintf(envs_arg, sizeof envs_arg, "%s", envs);
    snprintf(tr_arg, sizeof tr_arg, "%s", tr);
    snprintf(cl_arg, sizeof cl_arg, "%s", cl);
    const char *pp = getenv("KISIM_PYTHONPATH");
    if (pp && *pp) o.pythonpath = pp;
    int transports = 0, clients = 0;
    long sizes[16];
    int n_sizes = 0;
    if (!err && optind != argc)
        err = kisim_seterr(KISIM_EUSAGE, "bench zmq: unexpected argument \"%s\"", argv[optind]);
    if (!err) err = split_list(tr_arg, "--transports", tnames, &transports);
    if (!err) err = split_list(cl_arg, "--clients", cnames, &clients);
    for (char *tok = strtok(envs_arg, ","); !err && tok; tok = strtok(NULL, ","))
        err = n_sizes < 16 ? args_int("bench zmq", "--envs", tok, 1, 4096, &sizes[n_sizes++])
                           : kisim_seterr(KISIM_EUSAGE, "bench zmq: --envs: at most 16 sizes");
    kisim_config cfg;
    if (!err) err = cfg_read(&cfg, o.config);
    if (err) return args_fail(err);
    if (o.json)
        printf("[");
    else
        printf("kisim %s (git %s), %s, median of %ld runs of %ld decisions, seed %llu\n"
               "  client  via  envs   decisions/s       MB/s  crc32\n",
               kisim_version(), kisim_git_commit(), o.config, o.runs, o.decisions,
               (unsigned long long)o.seed);
    fflush(stdout);
    int first = 1, mismatch = 0;
    for (int i = 0; i < n_sizes && !err; i++) {
        int k = (int)sizes[i];
        uint32_t ref = 0;
        err = reference_crc(&cfg, k, (o.decisions + k - 1) / k, o.seed, &ref);
        for (int t = 0; t < 2 && !err; t++)
            if (transports & (1 << t)) err = bench_one(&o, k, t, clients, ref, &first, &mismatch);
    }
    if (o.json) printf("]\n");
    if (!err && mismatch)
        err = kisim_seterr(KISIM_EINTERNAL, "bench zmq: a client's observations differ from the "
                                            "in-process run's (CRC-32 mismatch)");
    return err ? args_fail(err) : 0;
}
