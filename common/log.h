/* log.h: messages for people, on stderr. Levels filter what is printed; progress lines on a
 * terminal rewrite themselves in place. */
#ifndef KISIM_LOG_H
#define KISIM_LOG_H

typedef enum { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG } log_level;

/* Messages above this level are dropped. Default LOG_INFO. */
void log_set_level(log_level level);
log_level log_get_level(void);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A progress line "label done/total (rate unit/s, ETA 12s)". On a terminal it rewrites itself;
 * elsewhere it prints at most every few seconds so logs stay short. done == total ends it. */
typedef struct {
    const char *label;
    const char *unit;
    double t_start, t_last;
    long total;
} log_progress;

void log_progress_begin(log_progress *p, const char *label, const char *unit, long total);
void log_progress_update(log_progress *p, long done);

#endif
