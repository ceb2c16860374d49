/* extender.h: the Kubernetes scheduler extender over HTTP (libmicrohttpd, a thread pool), in
 * front of a score_service (scheduler/score.h). Routes (scheduler/EXTENDER.md has the details):
 *   POST /scheduler/filter      ExtenderArgs -> ExtenderFilterResult
 *   POST /scheduler/prioritize  ExtenderArgs -> HostPriorityList (scores 0..10)
 *   GET  /healthz               "ok"
 *   GET  /metrics               Prometheus text format (scheduler/extender_metrics.h)
 * A malformed or oversized body gets 400 with {"Error": "..."}; a wrong method 405; any other
 * path 404. Nothing a client sends stops the server. */
#ifndef KISIM_EXTENDER_H
#define KISIM_EXTENDER_H

#include <stddef.h>

#include "scheduler/score.h"

#define EXTENDER_DEFAULT_MAX_BODY (16u << 20) /* bytes; a 1,000-node NodeList is about 10 MB */
#define EXTENDER_DEFAULT_THREADS 2

typedef struct {
    int threads;          /* HTTP worker threads; 0 = EXTENDER_DEFAULT_THREADS */
    size_t max_body;      /* largest request body accepted, bytes; 0 = EXTENDER_DEFAULT_MAX_BODY */
    int filter_min_score; /* filter also fails nodes a model link scored below this (0..100);
                             0 = off (the default) */
} extender_opts;

typedef struct extender extender;

/* Starts serving on host_port ("127.0.0.1:8888", "0.0.0.0:8888"; port 0 picks a free one, see
 * extender_port). The service is borrowed and must outlive the extender. o may be NULL.
 * KISIM_EUSAGE for a malformed address, KISIM_EIO when the port cannot be bound. */
int extender_start(extender **out, score_service *s, const char *host_port, const extender_opts *o);
/* KISIM_EUSAGE naming --http unless host_port is an IPv4 HOST:PORT extender_start accepts. */
int extender_check_address(const char *host_port);
/* Stops the server (in-flight requests finish first) and frees it; NULL is fine. */
void extender_stop(extender *x);
/* The TCP port the server listens on. */
int extender_port(const extender *x);

#endif
