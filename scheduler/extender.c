/* extender.c: the extender's HTTP server (see extender.h). libmicrohttpd calls answer() several
 * times per request: once with the headers (we pick the route and may answer at once: 404, 405,
 * a Content-Length over the limit), then with each piece of the body (kept up to max_body, the
 * rest counted and dropped), then once more to answer. Bodies are JSON; errors are
 * {"Error": "..."} so that kube-scheduler logs a readable reason. */
#include "scheduler/extender.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "scheduler/extender_json.h"
#include "scheduler/extender_metrics.h"
#include "scheduler/extender_verbs.h"

struct extender {
    struct MHD_Daemon *daemon;
    score_service *svc; /* borrowed */
    extender_opts o;
    int port;
};

typedef enum { ROUTE_FILTER, ROUTE_PRIORITIZE, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_NONE } route;

static const struct {
    const char *path, *method;
} routes[] = {{"/scheduler/filter", "POST"},
              {"/scheduler/prioritize", "POST"},
              {"/healthz", "GET"},
              {"/metrics", "GET"}};

/* One request's body as it arrives. */
typedef struct {
    route r;
    char *body; /* owned */
    size_t len, cap;
    size_t dropped; /* bytes past max_body */
} request;

/* Queues body (malloc'ed, taken over) with status; allow, if not NULL, is the Allow header. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                             const char *type, const char *allow)
{
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    if (allow) MHD_add_response_header(r, "Allow", allow);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *allow,
                                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result reply_error(struct MHD_Connection *c, unsigned status, const char *allow,
                                   const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *body;
    size_t len;
    if (extender_json_error(&body, &len, msg)) body = NULL, len = 0;
    return reply(c, status, body, len, "application/json", allow);
}

static enum MHD_Result serve_get(extender *x, struct MHD_Connection *c, route r)
{
    if (r == ROUTE_HEALTHZ) {
        char *ok = strdup("ok\n");
        return reply(c, MHD_HTTP_OK, ok, ok ? 3 : 0, "text/plain; charset=utf-8", NULL);
    }
    score_stats st;
    score_service_stats(x->svc, &st);
    char *page;
    size_t len;
    if (extender_metrics_page(&page, &len, &st))
        return reply_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "%s", kisim_errmsg());
    return reply(c, MHD_HTTP_OK, page, len, "text/plain; version=0.0.4; charset=utf-8", NULL);
}

static route find_route(const char *url)
{
    for (int i = 0; i < ROUTE_NONE; i++)
        if (!strcmp(url, routes[i].path)) return (route)i;
    return ROUTE_NONE;
}

/* The first call, with the headers only: choose the route, or answer right away. */
static enum MHD_Result begin(extender *x, struct MHD_Connection *c, const char *url,
                             const char *method, void **state)
{
    route r = find_route(url);
    int is_head = !strcmp(method, "HEAD");
    if (r == ROUTE_NONE)
        return reply_error(c, MHD_HTTP_NOT_FOUND, NULL,
                           "no such path \"%.200s\"; the extender serves "
                           "POST /scheduler/filter, POST /scheduler/prioritize, GET /healthz and "
                           "GET /metrics",
                           url);
    if (strcmp(method, routes[r].method) && !(is_head && !strcmp(routes[r].method, "GET")))
        return reply_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, routes[r].method,
                           "%s %s: method not allowed, use %s", method, routes[r].path,
                           routes[r].method);
    if (r == ROUTE_HEALTHZ || r == ROUTE_METRICS) return serve_get(x, c, r);
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > x->o.max_body) {
        score_service_count_error(x->svc,
                                  r == ROUTE_FILTER ? SCORE_VERB_FILTER : SCORE_VERB_PRIORITIZE);
        return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
                           "request body of %s bytes is over the "
                           "extender's limit of %zu bytes",
                           cl, x->o.max_body);
    }
    request *q = calloc(1, sizeof *q);
    if (!q) return MHD_NO;
    q->r = r;
    *state = q;
    return MHD_YES;
}

static void append(extender *x, request *q, const char *data, size_t n)
{
    if (q->dropped || q->len + n > x->o.max_body) {
        q->dropped += n;
        return;
    }
    if (q->len + n + 1 > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n + 1)
            cap *= 2;
        char *b = realloc(q->body, cap);
        if (!b) {
            q->dropped += n; /* answered as oversized: nothing better to do without memory */
            return;
        }
        q->body = b;
        q->cap = cap;
    }
    memcpy(q->body + q->len, data, n);
    q->len += n;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    extender *x = cls;
    request *q = *state;
    if (!q) return begin(x, c, url, method, state);
    if (*upload_size) {
        append(x, q, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    score_verb verb = q->r == ROUTE_FILTER ? SCORE_VERB_FILTER : SCORE_VERB_PRIORITIZE;
    if (q->dropped) {
        score_service_count_error(x->svc, verb);
        return reply_error(c, MHD_HTTP_BAD_REQUEST, NULL,
                           "request body of %zu bytes is over the "
                           "extender's limit of %zu bytes",
                           q->len + q->dropped, x->o.max_body);
    }
    int status;
    char *out;
    size_t len;
    extender_verbs_answer(x->svc, verb, q->body ? q->body : "", q->len, x->o.filter_min_score,
                          &status, &out, &len);
    return reply(c, (unsigned)status, out, len, "application/json", NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    request *q = *state;
    if (q) free(q->body);
    free(q);
    *state = NULL;
}

static int parse_host_port(const char *hp, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = hp ? strrchr(hp, ':') : NULL;
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == hp || (size_t)(colon - hp) >= sizeof host || !colon[1] || *end ||
        port < 0 || port > 65535)
        return kisim_seterr(KISIM_EUSAGE,
                            "extender: --http: expected HOST:PORT such as "
                            "127.0.0.1:8888, got \"%s\"",
                            hp ? hp : "");
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = 0;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((unsigned short)port);
    if (!strcmp(host, "localhost")) strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return kisim_seterr(KISIM_EUSAGE, "extender: --http: expected an IPv4 address, got \"%s\"",
                            host);
    return 0;
}

int extender_check_address(const char *host_port)
{
    struct sockaddr_in sa;
    return parse_host_port(host_port, &sa);
}

int extender_start(extender **out, score_service *s, const char *host_port, const extender_opts *o)
{
    *out = NULL;
    struct sockaddr_in sa;
    int rc = parse_host_port(host_port, &sa);
    if (rc) return rc;
    extender *x = calloc(1, sizeof *x);
    if (!x) return kisim_seterr(KISIM_ENOMEM, "extender: out of memory");
    x->svc = s;
    if (o) x->o = *o;
    if (x->o.threads <= 0) x->o.threads = EXTENDER_DEFAULT_THREADS;
    if (!x->o.max_body) x->o.max_body = EXTENDER_DEFAULT_MAX_BODY;
    x->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer,
        x, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)x->o.threads, MHD_OPTION_NOTIFY_COMPLETED, completed, x,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!x->daemon) {
        free(x);
        return kisim_seterr(KISIM_EIO,
                            "extender: cannot listen on %s (in use, or not an "
                            "address of this host?)",
                            host_port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(x->daemon, MHD_DAEMON_INFO_BIND_PORT);
    x->port = info ? info->port : ntohs(sa.sin_port);
    log_info("extender: serving kube-scheduler's filter and prioritize on http://%s:%d/scheduler/",
             inet_ntoa(sa.sin_addr), x->port);
    *out = x;
    return 0;
}

void extender_stop(extender *x)
{
    if (!x) return;
    MHD_stop_daemon(x->daemon);
    free(x);
}

int extender_port(const extender *x)
{
    return x->port;
}
