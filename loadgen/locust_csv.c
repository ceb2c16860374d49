/* locust_csv.c: reads the CSV files Locust writes with `--csv PREFIX --csv-full-history`:
 * the windowed p99 from the last Aggregated row of PREFIX_stats_history.csv (appended every
 * second) and the per-target rows of PREFIX_stats.csv (rewritten in place every second, so a
 * read can catch it half written: such reads are detected and retried by the caller). */
#include "loadgen/locust_csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

#define MAX_FIELDS 40
#define TAIL_BYTES 16384 /* the last rows: one per target plus Aggregated, ~200 bytes each */

/* Splits a CSV line in place (Locust quotes a field only when it holds a comma or a quote).
 * Returns the number of fields, or -1 on a malformed line or too many fields. */
static int split(char *line, char **f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == MAX_FIELDS) return -1;
        if (*p == '"') { /* "..." with "" for a quote */
            char *w = ++p;
            f[n++] = w;
            for (;; p++) {
                if (!*p) return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p++;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p;
                }
            }
            *w = '\0';
            if (*p != ',' && *p) return -1;
        } else {
            f[n++] = p;
            p += strcspn(p, ",");
        }
        if (!*p) return n;
        *p++ = '\0';
    }
}

static int column(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

/* A percentile or count field: a number, or "N/A" (no requests yet) as NAN. */
static double number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    return end != s && !*end ? v : NAN;
}

static long count_of(const char *s)
{
    double v = number(s);
    return v >= 0 && v < 9e18 ? (long)v : 0;
}

/* Reads a whole small file (or its last TAIL_BYTES when tail is set, plus its first line in
 * *head). Missing file: *text NULL and 0 (Locust has not written it yet). */
static int slurp(const char *path, int tail, char **text, char **head)
{
    *text = NULL;
    if (head) *head = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0
                               : kisim_seterr(KISIM_EIO, "locust: %s: %s", path, strerror(errno));
    int err = 0;
    size_t cap = 4096, len = 0;
    char *buf = NULL;
    if (head) {
        char *line = NULL;
        size_t lc = 0;
        if (getline(&line, &lc, f) > 0 && strchr(line, '\n')) {
            line[strcspn(line, "\r\n")] = '\0';
            *head = line;
        } else {
            free(line);
            goto cleanup; /* no complete header yet */
        }
    }
    long from = 0;
    if (tail && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        from = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
        if (from > 0 && fseek(f, from, SEEK_SET) != 0) from = 0;
        if (from == 0) rewind(f);
    }
    for (;;) {
        char *nb = realloc(buf, cap);
        if (!nb) {
            err = kisim_seterr(KISIM_ENOMEM, "locust: out of memory reading %s", path);
            goto cleanup;
        }
        buf = nb;
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (len < cap - 1) break;
        if (cap > (64u << 20)) break; /* a 64 MiB stats file is not Locust's */
        cap *= 2;
    }
    if (ferror(f)) err = kisim_seterr(KISIM_EIO, "locust: %s: read error", path);
    buf[len] = '\0';
    if (from > 0) { /* started mid-line: drop that partial line */
        size_t skip = strcspn(buf, "\n");
        skip += buf[skip] == '\n';
        memmove(buf, buf + skip, len - skip + 1);
    }
cleanup:
    fclose(f);
    if (err || !buf) {
        free(buf);
        if (head) free(*head), *head = NULL;
        return err;
    }
    *text = buf;
    return 0;
}

int locust_csv_history(const char *path, double *p99_ms, double *ts)
{
    *p99_ms = NAN;
    *ts = 0;
    char *text, *head, *f[MAX_FIELDS];
    int err = slurp(path, 1, &text, &head);
    if (err || !text) return err;
    int nh = split(head, f);
    int c_ts = column(f, nh, "Timestamp"), c_name = column(f, nh, "Name"),
        c_99 = column(f, nh, "99%");
    if (c_ts < 0 || c_name < 0 || c_99 < 0) {
        err = kisim_seterr(KISIM_EPROTOCOL,
                           "locust: %s: header lacks Timestamp, Name or 99%% (not Locust 2.12's "
                           "--csv-full-history file?)",
                           path);
        goto cleanup;
    }
    /* Complete lines only (the last one may be half flushed), newest first. */
    char *end = strrchr(text, '\n');
    while (end) {
        *end = '\0';
        char *start = strrchr(text, '\n');
        char *line = start ? start + 1 : text;
        int n = split(line, f);
        if (n == nh && !strcmp(f[c_name], "Aggregated") && number(f[c_ts]) > 0) {
            *p99_ms = number(f[c_99]);
            *ts = number(f[c_ts]);
            break;
        }
        end = start;
    }
cleanup:
    free(head);
    free(text);
    return err;
}

static void row_stats(char **f, int c_name, int c_req, int c_fail, int c_50, int c_95, int c_99,
                      locust_target_stats *t)
{
    snprintf(t->addr, sizeof t->addr, "%s", f[c_name]);
    t->requests = count_of(f[c_req]);
    t->failures = count_of(f[c_fail]);
    t->p50_ms = number(f[c_50]);
    t->p95_ms = number(f[c_95]);
    t->p99_ms = number(f[c_99]);
}

int locust_csv_targets(const char *path, locust_target_stats *out, int cap,
                       locust_target_stats *total, int *complete)
{
    *complete = 0;
    char *text, *f[MAX_FIELDS];
    int err = slurp(path, 0, &text, NULL), count = 0;
    if (err || !text) return err;
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    int nh = line ? split(line, f) : -1;
    int c_name = column(f, nh, "Name"), c_req = column(f, nh, "Request Count"),
        c_fail = column(f, nh, "Failure Count"), c_50 = column(f, nh, "50%"),
        c_95 = column(f, nh, "95%"), c_99 = column(f, nh, "99%");
    if (!line) goto cleanup; /* empty: being rewritten */
    if (c_name < 0 || c_req < 0 || c_fail < 0 || c_50 < 0 || c_95 < 0 || c_99 < 0) {
        err = kisim_seterr(KISIM_EPROTOCOL, "locust: %s: unexpected header (not Locust 2.12's?)",
                           path);
        goto cleanup;
    }
    /* The Aggregated row comes last: seeing it (whole) means the file was read whole. */
    while ((line = strtok_r(NULL, "\n", &save))) {
        if (split(line, f) != nh) break;
        if (!strcmp(f[c_name], "Aggregated")) {
            if (total) row_stats(f, c_name, c_req, c_fail, c_50, c_95, c_99, total);
            *complete = 1;
            break;
        }
        if (count < cap) row_stats(f, c_name, c_req, c_fail, c_50, c_95, c_99, &out[count]);
        count++;
    }
cleanup:
    free(text);
    return err ? err : count;
}
