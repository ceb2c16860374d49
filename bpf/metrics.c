/* metrics.c: /metrics over libmicrohttpd (see metrics.h). The page is a string under a mutex;
 * the HTTP thread copies it into each response, so the main loop never waits on a client. */
#include "bpf/metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct metrics {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    char *page; /* owned */
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version, (void)upload, (void)upload_size, (void)state;
    metrics *m = cls;
    if (strcmp(method, "GET")) return MHD_NO;
    int found = !strcmp(url, "/metrics");
    pthread_mutex_lock(&m->lock);
    const char *body = found ? (m->page ? m->page : "") : "not found; try /metrics\n";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    pthread_mutex_unlock(&m->lock);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result ret = MHD_queue_response(conn, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, r);
    MHD_destroy_response(r);
    return ret;
}

int metrics_open(metrics **out, const char *hostport)
{
    *out = NULL;
    char host[256];
    const char *colon = strrchr(hostport, ':');
    char *end;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    if (!colon || (size_t)(colon - hostport) >= sizeof host || *end || port < 1 || port > 65535)
        return kisim_seterr(KISIM_EUSAGE, "collect: --metrics: expected HOST:PORT, got \"%s\"",
                            hostport);
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return kisim_seterr(KISIM_EUSAGE,
                            "collect: --metrics: expected an IPv4 address, got \"%s\"", host);
    sa.sin_port = htons((unsigned short)port);
    metrics *m = calloc(1, sizeof *m);
    if (!m) return kisim_seterr(KISIM_ENOMEM, "collect: out of memory");
    pthread_mutex_init(&m->lock, NULL);
    m->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer,
                         m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    if (!m->daemon) {
        metrics_close(m);
        return kisim_seterr(KISIM_EIO, "collect: --metrics: cannot serve on %s (port in use?)",
                            hostport);
    }
    *out = m;
    return 0;
}

void metrics_set(metrics *m, const char *text)
{
    char *copy = strdup(text);
    if (!copy) return; /* keep the old page */
    pthread_mutex_lock(&m->lock);
    free(m->page);
    m->page = copy;
    pthread_mutex_unlock(&m->lock);
}

void metrics_close(metrics *m)
{
    if (!m) return;
    if (m->daemon) MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    free(m->page);
    free(m);
}
