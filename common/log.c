/* log.c: stderr logging with levels, and rate-limited progress lines with an ETA. */
#include "common/log.h"

#include "common/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static log_level current_level = LOG_INFO;

void log_set_level(log_level level)
{
    current_level = level;
}

log_level log_get_level(void)
{
    return current_level;
}

void log_msg(log_level level, const char *fmt, ...)
{
    static const char *const prefix[] = {"error: ", "warning: ", "", "debug: "};
    if (level > current_level) return;
    va_list ap;
    va_start(ap, fmt);
    fputs(prefix[level], stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void log_progress_begin(log_progress *p, const char *label, const char *unit, long total)
{
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->t_start = p->t_last = clock_mono_s();
}

void log_progress_update(log_progress *p, long done)
{
    if (current_level < LOG_INFO) return;
    int tty = isatty(STDERR_FILENO);
    double now = clock_mono_s();
    int last = done >= p->total;
    /* A terminal gets ~10 updates a second; a log file one line every 5 s. */
    if (!last && now - p->t_last < (tty ? 0.1 : 5.0)) return;
    p->t_last = now;
    double elapsed = now - p->t_start;
    double rate = elapsed > 0 ? (double)done / elapsed : 0.0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0.0;
    fprintf(stderr, "%s%s %ld/%ld (%.1f %s/s, %s %.0fs)%s", tty ? "\r" : "", p->label, done,
            p->total, rate, p->unit, last ? "took" : "ETA", last ? elapsed : eta,
            tty && !last ? "\033[K" : "\n");
    fflush(stderr);
}
