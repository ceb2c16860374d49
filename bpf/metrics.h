/* metrics.h: the collector's /metrics endpoint: Prometheus text over HTTP (libmicrohttpd, on its
 * own thread). The main loop replaces the page every period; requests get the latest one. */
#ifndef KISIM_BPF_METRICS_H
#define KISIM_BPF_METRICS_H

typedef struct metrics metrics;

/* Serves on HOST:PORT ("127.0.0.1:9464"). KISIM_EUSAGE for a bad address, KISIM_EIO if the
 * port cannot be bound. */
int metrics_open(metrics **out, const char *hostport);
/* Replaces the page (copied). */
void metrics_set(metrics *m, const char *text);
void metrics_close(metrics *m);

#endif
