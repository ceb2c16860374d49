/* http_test.h: a raw-socket HTTP/1.1 client for the tests of HTTP servers (the extender), so a
 * test controls every byte it sends (chunked bodies, garbage) and sees every byte it gets. Each
 * request uses its own connection with "Connection: close" and reads until the server closes. */
#ifndef KISIM_HTTP_TEST_H
#define KISIM_HTTP_TEST_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    int status;
    char head[2048]; /* status line and headers */
    char *body;      /* malloc'ed, NUL-terminated */
    size_t len;
} http_reply;

/* Sends req_len raw bytes to 127.0.0.1:port and reads the answer into *r. 0, or -1 if there
 * was no HTTP answer. */
static inline int http_raw(int port, const char *req, size_t req_len, http_reply *r)
{
    memset(r, 0, sizeof *r);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {30, 0};
    if (fd < 0) return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    for (size_t off = 0; off < req_len;) {
        ssize_t n = send(fd, req + off, req_len - off, MSG_NOSIGNAL);
        if (n <= 0) break; /* the server may answer early and close: read what it said */
        off += (size_t)n;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 4096 > cap) buf = realloc(buf, cap *= 2);
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0) break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) {
        free(buf);
        return -1;
    }
    size_t hl = (size_t)(sep - buf);
    memcpy(r->head, buf, hl < sizeof r->head - 1 ? hl : sizeof r->head - 1);
    r->len = len - hl - 4;
    r->body = malloc(r->len + 1);
    memcpy(r->body, sep + 4, r->len + 1);
    free(buf);
    return 0;
}

/* METHOD path with body (NULL: none) as JSON, Content-Length set. */
static inline int http_request(int port, const char *method, const char *path, const char *body,
                               http_reply *r)
{
    size_t blen = body ? strlen(body) : 0;
    char *req = malloc(blen + 512);
    int n = snprintf(req, 512,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, path, blen);
    if (body) memcpy(req + n, body, blen);
    int rc = http_raw(port, req, (size_t)n + blen, r);
    free(req);
    return rc;
}

#endif
