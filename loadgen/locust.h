/* locust.h: the Locust driver. Starts Locust 2.12 (or attaches to a running one), tells it which
 * replicas to load, reads its latency, throughput and failures, and stops it.
 *
 *   locust_open(&l, &opts) -> locust_set_targets* / locust_read* -> locust_close(l)
 *
 * Started Locust runs `-f loadgen/locustfile.py --autostart` with its web API on
 * 127.0.0.1:web_port and `--csv PREFIX --csv-full-history`; its load shape comes from the `load`
 * block of the KISim config given (loadgen/locustfile.py), its replica list from the targets
 * file, one `HOST:PORT` a line, which locust_set_targets rewrites atomically (temp file and
 * rename; the locustfile re-reads it when its mtime changes).
 *
 * Sources (loadgen/README.md says which reward term uses which):
 *   - `GET /stats/requests`: current p50/p95 (Locust's ~10 s window), total rps, cumulative
 *     fail ratio and request counts, user count, runner state;
 *   - `PREFIX_stats_history.csv`, last Aggregated row: the windowed p99 (the same ~10 s window);
 *   - `PREFIX_stats.csv`: cumulative per-target counts and percentiles (locust_read_targets).
 *
 * Every wait is bounded by opts.timeout_s: a missing locust binary, a Locust that dies or never
 * answers gives an error naming it (KISIM_EIO / KISIM_ETIMEOUT), never a hang. One driver is
 * used by one thread at a time. */
#ifndef KISIM_LOCUST_H
#define KISIM_LOCUST_H

#include <sys/types.h>

typedef struct locust locust;

typedef struct {
    const char *locust_bin;   /* NULL: $KISIM_LOCUST, else /usr/bin/locust */
    const char *locustfile;   /* NULL: $KISIM_LOCUSTFILE, else <source dir>/loadgen/locustfile.py */
    const char *config_path;  /* KISim config whose `load` block shapes the users (required to
                               * start Locust) */
    const char *targets_file; /* the replica list Locust reads (required to start Locust; with
                               * attach_url, the file the running Locust was started with, or NULL
                               * and locust_set_targets fails) */
    int web_port;             /* 0: a free port on 127.0.0.1 chosen by the driver */
    const char *csv_prefix;   /* NULL: <targets_file>.locust (history in PREFIX_stats_history.csv);
                               * with attach_url, the running Locust's --csv prefix, or NULL: no
                               * p99 and no per-target stats */
    const char *log_path;     /* Locust's stdout and stderr; NULL: PREFIX.log */
    const char *attach_url;   /* non-NULL: use the Locust whose web API is at this URL
                               * ("http://127.0.0.1:8089"); nothing is started or stopped */
    const char *request_path; /* the path users GET on each replica; NULL: "/" */
    int random_targets;       /* 0: users pick replicas round-robin; 1: uniformly at random */
    double timeout_s;         /* bound on each wait (start-up, one HTTP request, stop); 0: 15 */
} locust_opts;

#define LOCUST_DEFAULT_BIN "/usr/bin/locust"
#define LOCUST_DEFAULT_TIMEOUT_S 15.0

typedef struct {
    double p50_ms, p95_ms;   /* current_response_time_percentile_50/_95 (~10 s window); NAN before
                              * Locust has a response in the window */
    double p99_ms;           /* 99% column of the history CSV's last Aggregated row; NAN if none */
    double p99_ts;           /* that row's Timestamp (Unix seconds); 0 if none */
    double rps;              /* total_rps: requests per second now */
    double fail_ratio;       /* failures / requests since start (or the last locust_reset_stats) */
    long requests, failures; /* the Aggregated line's cumulative counts */
    int users;               /* user_count */
    char state[16];          /* runner state: "ready", "spawning", "running", "stopped", ... */
    double ts;               /* when this was read (Unix seconds, CLOCK_REALTIME) */
} locust_stats;

typedef struct {
    char addr[64]; /* HOST:PORT, as in the targets file (Locust's request name) */
    long requests, failures;
    double p50_ms, p95_ms, p99_ms; /* cumulative since start / the last reset */
} locust_target_stats;

/* Starts Locust (or attaches to opts->attach_url) and waits, at most timeout_s, until its web
 * API answers. Starting needs config_path and targets_file; if the targets file does not exist
 * it is created empty (users then wait for replicas). KISIM_EIO naming the binary if it cannot
 * be run, or naming the log file if Locust exits during start-up; KISIM_ETIMEOUT if it never
 * answers. *out is NULL on error, and nothing is left running. */
int locust_open(locust **out, const locust_opts *o);

/* Replaces the replica list: writes addrs (HOST:PORT each) to the targets file through a temp
 * file and rename. n = 0 empties it. KISIM_EINPUT on an address with a blank or a newline. */
int locust_set_targets(locust *l, const char *const *addrs, int n);

/* Reads the current statistics (one HTTP request and one read of the history file's tail).
 * KISIM_EIO if Locust has died (naming its log), KISIM_ETIMEOUT if it does not answer,
 * KISIM_EPROTOCOL if its answer is not the expected JSON. */
int locust_read(locust *l, locust_stats *s);

/* Cumulative per-target statistics from PREFIX_stats.csv (rewritten by Locust every second):
 * fills up to cap entries and returns how many there are (>= 0), or a negative error.
 * KISIM_EUNSUPPORTED when attached without a csv_prefix. */
int locust_read_targets(locust *l, locust_target_stats *out, int cap);

/* The Aggregated row of PREFIX_stats.csv: every request since start (or the last reset), with
 * its cumulative percentiles (addr "Aggregated"; all 0 before the file exists). The local
 * backend's episode percentiles. KISIM_EUNSUPPORTED when attached without a csv_prefix. */
int locust_read_total(locust *l, locust_target_stats *total);

/* Resets Locust's statistics (`GET /stats/reset`), e.g. at the start of an episode. */
int locust_reset_stats(locust *l);

/* Stops Locust if this driver started it: SIGTERM, SIGKILL after timeout_s, then reaps it.
 * Frees everything; NULL is safe. Attached: only forgets the URL. */
void locust_close(locust *l);

/* The started Locust's pid (0 when attached or after it was reaped) and its web API's URL. */
pid_t locust_pid(const locust *l);
const char *locust_url(const locust *l);

#endif
