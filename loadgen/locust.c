/* locust.c: the Locust driver (locust.h): starts Locust with the locustfile and an effective
 * copy of the config, waits for its web API, reads /stats/requests through libcurl and the CSV
 * files through locust_csv.c, rewrites the targets file, and stops Locust by pid. */
#include "loadgen/locust.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cli_args.h"
#include "common/config.h"
#include "common/err.h"
#include "loadgen/locust_csv.h"

#ifndef KISIM_SOURCE_DIR
#define KISIM_SOURCE_DIR "."
#endif

struct locust {
    pid_t pid;       /* the started Locust; 0 when attached or reaped */
    int exit_status; /* its wait status once reaped */
    double timeout_s;
    char url[128];      /* http://127.0.0.1:PORT, no trailing slash */
    char *targets_file; /* owned copies of the paths; NULL when not known */
    char *csv_prefix;
    char *log_path;
    char *config_copy; /* the effective config given to Locust */
    CURL *curl;        /* owned; reused so the connection stays open */
    char *body;        /* owned; the last HTTP response */
    size_t body_len, body_cap;
};

static double now_s(int clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static char *dup_path(const char *a, const char *b)
{
    size_t n = strlen(a) + (b ? strlen(b) : 0) + 1;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s", a, b ? b : "");
    return s;
}

/* The last non-empty line of Locust's log, so an error says why it stopped. */
static const char *log_tail(const locust *l, char *buf, size_t n)
{
    snprintf(buf, n, "(nothing)");
    FILE *f = l->log_path ? fopen(l->log_path, "r") : NULL;
    if (!f) return buf;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0]) snprintf(buf, n, "%s", line);
    }
    fclose(f);
    return buf;
}

/* 1 if the started Locust has exited (reaped here), 0 if it runs or was not started by us. */
static int exited(locust *l)
{
    if (l->pid <= 0) return 0;
    int status;
    if (waitpid(l->pid, &status, WNOHANG) != l->pid) return 0;
    l->exit_status = status;
    l->pid = 0;
    return 1;
}

static int died_error(locust *l, const char *when)
{
    char tail[512], how[64];
    int st = l->exit_status;
    if (WIFSIGNALED(st))
        snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(st));
    else
        snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
    return kisim_seterr(KISIM_EIO, "locust: Locust %s %s; its log %s ends with: %s", how, when,
                        l->log_path ? l->log_path : "(none)", log_tail(l, tail, sizeof tail));
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    locust *l = userp;
    size_t n = size * nmemb;
    if (l->body_len + n + 1 > l->body_cap) {
        size_t cap = l->body_cap ? l->body_cap : 16384;
        while (cap < l->body_len + n + 1)
            cap *= 2;
        char *nb = realloc(l->body, cap);
        if (!nb) return 0; /* curl reports a write error */
        l->body = nb;
        l->body_cap = cap;
    }
    memcpy(l->body + l->body_len, data, n);
    l->body_len += n;
    l->body[l->body_len] = '\0';
    return n;
}

/* GET url/path into l->body. quiet: no message (start-up polling). */
static int http_get(locust *l, const char *path, double timeout_s, int quiet)
{
    char url[256];
    snprintf(url, sizeof url, "%s%s", l->url, path);
    l->body_len = 0;
    curl_easy_setopt(l->curl, CURLOPT_URL, url);
    curl_easy_setopt(l->curl, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
    curl_easy_setopt(l->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout_s * 1000));
    CURLcode rc = curl_easy_perform(l->curl);
    long code = 0;
    curl_easy_getinfo(l->curl, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK && code == 200 && l->body_len) return 0;
    if (quiet) return KISIM_EIO;
    if (exited(l)) return died_error(l, "while the driver was reading its statistics");
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return kisim_seterr(KISIM_ETIMEOUT, "locust: %s: no answer within %.0f s", url, timeout_s);
    if (rc != CURLE_OK)
        return kisim_seterr(KISIM_EIO, "locust: %s: %s", url, curl_easy_strerror(rc));
    return kisim_seterr(KISIM_EPROTOCOL, "locust: %s: HTTP status %ld", url, code);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0) close(fd);
    return port > 0 ? port : kisim_seterr(KISIM_EIO, "locust: no free port on 127.0.0.1");
}

/* The effective config (every default filled in, the trace's path absolute), for the
 * locustfile, which holds no defaults of its own. */
static int write_effective_config(locust *l, const char *config_path)
{
    int err = 0;
    char *json = NULL;
    kisim_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
    if ((err = cfg_read(cfg, config_path)) < 0) goto cleanup;
    if (cfg->load.pattern == LOAD_TRACE) {
        char abs[PATH_MAX];
        if (!realpath(cfg->load.trace.path, abs)) {
            err = kisim_seterr(KISIM_EIO, "locust: trace %s: %s", cfg->load.trace.path,
                               strerror(errno));
            goto cleanup;
        }
        snprintf(cfg->load.trace.path, sizeof cfg->load.trace.path, "%s", abs);
    }
    if (!(json = cfg_to_json(cfg)) || !(l->config_copy = dup_path(l->csv_prefix, ".config.json"))) {
        err = kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
        goto cleanup;
    }
    err = write_file_atomic(l->config_copy, json);
cleanup:
    free(json);
    free(cfg);
    return err;
}

/* fork + exec; exec failure comes back through a close-on-exec pipe as an errno. */
static int spawn(locust *l, const char *bin, char *const argv[])
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return kisim_seterr(KISIM_EIO, "locust: pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return kisim_seterr(KISIM_EIO, "locust: fork: %s", strerror(errno));
    }
    if (pid == 0) { /* child: only async-signal-safe calls until exec */
        int e = 0;
        int in = open("/dev/null", O_RDONLY);
        int out = open(l->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        /* Dies with the driver's thread, even if the driver is SIGKILLed. */
        if (in < 0 || out < 0 || prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent ||
            dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            e = errno ? errno : EIO;
        /* Locust must not hold the driver's sockets and files (a listening port, say) open. */
        if (!e && close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) e = errno;
        if (!e) {
            execv(bin, argv);
            e = errno;
        }
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(fds[1]);
    int e = 0;
    ssize_t n;
    while ((n = read(fds[0], &e, sizeof e)) < 0 && errno == EINTR) {
    }
    close(fds[0]);
    if (n > 0) {
        waitpid(pid, NULL, 0);
        return kisim_seterr(KISIM_EIO,
                            "locust: cannot run Locust %s: %s (install Debian's python3-locust, or "
                            "give its path in $KISIM_LOCUST)",
                            bin, strerror(e));
    }
    l->pid = pid;
    return 0;
}

static int start(locust *l, const locust_opts *o)
{
    const char *bin = o->locust_bin ? o->locust_bin : getenv("KISIM_LOCUST");
    if (!bin || !*bin) bin = LOCUST_DEFAULT_BIN;
    const char *lf = o->locustfile ? o->locustfile : getenv("KISIM_LOCUSTFILE");
    if (!lf || !*lf) lf = KISIM_SOURCE_DIR "/loadgen/locustfile.py";
    if (!o->config_path || !o->targets_file)
        return kisim_seterr(KISIM_EUSAGE,
                            "locust: starting Locust needs a config and a targets file");
    if (access(bin, X_OK) != 0)
        return kisim_seterr(KISIM_EIO,
                            "locust: cannot run Locust %s: %s (install Debian's python3-locust, or "
                            "give its path in $KISIM_LOCUST)",
                            bin, strerror(errno));
    if (access(lf, R_OK) != 0)
        return kisim_seterr(KISIM_EIO, "locust: locustfile %s: %s (set $KISIM_LOCUSTFILE)", lf,
                            strerror(errno));
    int err = write_effective_config(l, o->config_path);
    if (err) return err;
    if (access(l->targets_file, F_OK) != 0 && (err = write_file_atomic(l->targets_file, "")) < 0)
        return err;
    /* Stale CSV files from an earlier run would be read as this run's. */
    char *hist = dup_path(l->csv_prefix, "_stats_history.csv"),
         *stats = dup_path(l->csv_prefix, "_stats.csv");
    if (hist) unlink(hist);
    if (stats) unlink(stats);
    free(hist);
    free(stats);

    int port = o->web_port ? o->web_port : free_port();
    if (port < 0) return port;
    snprintf(l->url, sizeof l->url, "http://127.0.0.1:%d", port);
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    char *argv[] = {(char *)bin,
                    "-f",
                    (char *)lf,
                    "--autostart",
                    "--web-host",
                    "127.0.0.1",
                    "--web-port",
                    port_s,
                    "--csv",
                    l->csv_prefix,
                    "--csv-full-history",
                    "--kisim-config",
                    l->config_copy,
                    "--kisim-targets",
                    l->targets_file,
                    "--kisim-pick",
                    o->random_targets ? "random" : "round-robin",
                    "--kisim-path",
                    (char *)(o->request_path ? o->request_path : "/"),
                    NULL};
    if ((err = spawn(l, bin, argv)) < 0) return err;

    double deadline = now_s(CLOCK_MONOTONIC) + l->timeout_s;
    for (;;) {
        if (http_get(l, "/stats/requests", 1.0, 1) == 0) return 0;
        if (exited(l)) return died_error(l, "during start-up");
        if (now_s(CLOCK_MONOTONIC) > deadline)
            return kisim_seterr(
                KISIM_ETIMEOUT,
                "locust: Locust (pid %d) did not answer on %s within %.0f s; see %s", (int)l->pid,
                l->url, l->timeout_s, l->log_path);
        sleep_s(0.1);
    }
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int locust_open(locust **out, const locust_opts *o)
{
    *out = NULL;
    int err = 0;
    locust *l = calloc(1, sizeof *l);
    if (!l) return kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
    l->timeout_s = o->timeout_s > 0 ? o->timeout_s : LOCUST_DEFAULT_TIMEOUT_S;
    pthread_once(&curl_once, curl_init);
    if (!(l->curl = curl_easy_init())) {
        err = kisim_seterr(KISIM_ENOMEM, "locust: curl_easy_init failed");
        goto cleanup;
    }
    curl_easy_setopt(l->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(l->curl, CURLOPT_WRITEDATA, l);
    curl_easy_setopt(l->curl, CURLOPT_NOSIGNAL, 1L);
    /* An http_proxy in the environment must not capture requests to a local Locust. */
    curl_easy_setopt(l->curl, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    const char *prefix_base = o->targets_file;
    if ((o->targets_file && !(l->targets_file = strdup(o->targets_file))) ||
        (o->csv_prefix && !(l->csv_prefix = strdup(o->csv_prefix))) ||
        (!o->csv_prefix && prefix_base && !o->attach_url &&
         !(l->csv_prefix = dup_path(prefix_base, ".locust")))) {
        err = kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
        goto cleanup;
    }
    if (l->csv_prefix &&
        !(l->log_path = o->log_path ? strdup(o->log_path) : dup_path(l->csv_prefix, ".log"))) {
        err = kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
        goto cleanup;
    }
    if (o->attach_url) {
        size_t n = strlen(o->attach_url);
        while (n && o->attach_url[n - 1] == '/')
            n--;
        if (n == 0 || n >= sizeof l->url || strncmp(o->attach_url, "http", 4)) {
            err = kisim_seterr(KISIM_EUSAGE,
                               "locust: attach URL: expected http://HOST:PORT, got \"%s\"",
                               o->attach_url);
            goto cleanup;
        }
        memcpy(l->url, o->attach_url, n);
        l->url[n] = '\0';
        err = http_get(l, "/stats/requests", l->timeout_s, 0);
    } else {
        err = start(l, o);
    }
cleanup:
    if (err) {
        locust_close(l);
        return err;
    }
    *out = l;
    return 0;
}

int locust_set_targets(locust *l, const char *const *addrs, int n)
{
    if (!l->targets_file)
        return kisim_seterr(KISIM_EUSAGE, "locust: no targets file (attached without one)");
    size_t len = 1;
    for (int i = 0; i < n; i++) {
        const char *a = addrs[i];
        if (!*a || strcspn(a, " \t\r\n,#") != strlen(a) ||
            strlen(a) >= sizeof((locust_target_stats *)0)->addr)
            return kisim_seterr(KISIM_EINPUT,
                                "locust: target \"%s\": expected HOST:PORT without blanks", a);
        len += strlen(a) + 1;
    }
    char *text = malloc(len), *p = text;
    if (!text) return kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
    *p = '\0';
    for (int i = 0; i < n; i++)
        p += sprintf(p, "%s\n", addrs[i]);
    int err = write_file_atomic(l->targets_file, text);
    free(text);
    return err;
}

static double json_num(const cJSON *o, const char *key, double missing)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : missing;
}

int locust_read(locust *l, locust_stats *s)
{
    memset(s, 0, sizeof *s);
    s->p50_ms = s->p95_ms = s->p99_ms = NAN;
    int err = http_get(l, "/stats/requests", l->timeout_s, 0);
    if (err) return err;
    s->ts = now_s(CLOCK_REALTIME);
    cJSON *root = cJSON_Parse(l->body);
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(root, "stats");
    if (!cJSON_IsObject(root) || !cJSON_IsString(state) || !cJSON_IsArray(stats)) {
        cJSON_Delete(root);
        return kisim_seterr(KISIM_EPROTOCOL, "locust: %s/stats/requests: not Locust 2.12's JSON",
                            l->url);
    }
    s->p50_ms = json_num(root, "current_response_time_percentile_50", NAN);
    s->p95_ms = json_num(root, "current_response_time_percentile_95", NAN);
    s->rps = json_num(root, "total_rps", 0);
    s->fail_ratio = json_num(root, "fail_ratio", 0);
    s->users = (int)json_num(root, "user_count", 0);
    snprintf(s->state, sizeof s->state, "%s", state->valuestring);
    const cJSON *total = cJSON_GetArrayItem(stats, cJSON_GetArraySize(stats) - 1);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(total, "name");
    if (cJSON_IsString(name) && !strcmp(name->valuestring, "Aggregated")) {
        s->requests = (long)json_num(total, "num_requests", 0);
        s->failures = (long)json_num(total, "num_failures", 0);
    }
    cJSON_Delete(root);
    if (!l->csv_prefix) return 0;
    char *hist = dup_path(l->csv_prefix, "_stats_history.csv");
    if (!hist) return kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
    err = locust_csv_history(hist, &s->p99_ms, &s->p99_ts);
    free(hist);
    return err;
}

/* Reads PREFIX_stats.csv whole (retrying a read that caught Locust rewriting it). */
static int read_stats_csv(locust *l, locust_target_stats *out, int cap, locust_target_stats *total)
{
    if (!l->csv_prefix)
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "locust: per-target statistics need the CSV prefix");
    char *path = dup_path(l->csv_prefix, "_stats.csv");
    if (!path) return kisim_seterr(KISIM_ENOMEM, "locust: out of memory");
    int n = 0, complete = 0;
    double deadline = now_s(CLOCK_MONOTONIC) + l->timeout_s;
    /* Locust rewrites the file in place every second: retry a read that caught it midway. */
    while ((n = locust_csv_targets(path, out, cap, total, &complete)) >= 0 && !complete) {
        if (exited(l)) {
            n = died_error(l, "while the driver was reading its statistics");
            break;
        }
        if (now_s(CLOCK_MONOTONIC) > deadline) {
            n = kisim_seterr(KISIM_ETIMEOUT, "locust: %s: no complete statistics within %.0f s",
                             path, l->timeout_s);
            break;
        }
        sleep_s(0.05);
    }
    free(path);
    return n;
}

int locust_read_targets(locust *l, locust_target_stats *out, int cap)
{
    return read_stats_csv(l, out, cap, NULL);
}

int locust_read_total(locust *l, locust_target_stats *total)
{
    memset(total, 0, sizeof *total);
    int n = read_stats_csv(l, NULL, 0, total);
    return n < 0 ? n : 0;
}

int locust_reset_stats(locust *l)
{
    return http_get(l, "/stats/reset", l->timeout_s, 0);
}

void locust_close(locust *l)
{
    if (!l) return;
    if (l->pid > 0 && !exited(l)) {
        kill(l->pid, SIGTERM);
        double deadline = now_s(CLOCK_MONOTONIC) + l->timeout_s;
        while (!exited(l) && now_s(CLOCK_MONOTONIC) < deadline)
            sleep_s(0.05);
        if (l->pid > 0) {
            kill(l->pid, SIGKILL);
            waitpid(l->pid, NULL, 0);
            l->pid = 0;
        }
    }
    if (l->curl) curl_easy_cleanup(l->curl);
    free(l->body);
    free(l->targets_file);
    free(l->csv_prefix);
    free(l->log_path);
    free(l->config_copy);
    free(l);
}

pid_t locust_pid(const locust *l)
{
    return l->pid;
}

const char *locust_url(const locust *l)
{
    return l->url;
}
