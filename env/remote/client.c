/* client.c: the C client of the env protocol: a DEALER socket per endpoint, requests fanned out
 * to all before replies are gathered, replies received straight into the caller's arrays. A
 * monitor socket per endpoint reports a dropped connection or a refused CURVE key while a
 * reply is due, so a dead server is named at once rather than at the timeout. */
#include "env/remote/client.h"
#include "common/clock.h"
#include "common/json_strict.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <zmq.h>

#include "common/err.h"
#include "common/log.h"
#include "transport/proto.h"

typedef struct {
    char *endpoint;   /* owned copy */
    void *sock, *mon; /* DEALER and its monitor (PAIR) */
    int k, offset;    /* its envs, and the global index of its first */
    int down;         /* its connection dropped and has not been re-established */
    int refused;      /* it refused this client's CURVE key */
} client_peer;

struct kisim_client {
    void *ctx;
    client_peer *peers; /* [n] */
    int n, k, timeout_ms, invalid_error, needs_reset;
    env_spaces sp;
    uint8_t *masks; /* [K, mask_dim] the last masks received, for the error-mode check */
    int64_t next_id;
};

/* Where one reply's arrays go: for peer p, frame i lands at dst[i] + offset * row[i]. */
typedef struct {
    int n;
    void *dst[6];
    size_t row[6]; /* bytes per env */
} reply_layout;

#define MON_EVENTS                                                                                 \
    (ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |    \
     ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

/* Reads one monitor event of p and notes what it says of the connection; returns its id, or
 * 0 if none is waiting. */
static int read_event(client_peer *p)
{
    void *mon = p->mon;
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&m);
        return 0;
    }
    uint16_t ev = 0;
    if (zmq_msg_size(&m) >= 2) memcpy(&ev, zmq_msg_data(&m), 2);
    while (zmq_msg_more(&m)) {
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, mon, 0) < 0) break;
    }
    zmq_msg_close(&m);
    if (ev == ZMQ_EVENT_DISCONNECTED) p->down = 1;
    if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) p->down = p->refused = 0;
    if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) p->refused = 1;
    return ev;
}

/* Discards everything left of the current message on sock. */
static void drain(void *sock)
{
    int more = 1;
    size_t len = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, sock, 0);
        zmq_msg_close(&m);
        if (rc < 0) break;
    }
}

static int has_more(void *sock)
{
    int more = 0;
    size_t len = sizeof more;
    return zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more;
}

static int send_request(kisim_client *c, client_peer *p, const char *header, const void *arr,
                        size_t arr_size)
{
    /* Events since the last request only update what is known of the connection. */
    while (read_event(p)) {
    }
    if (zmq_send(p->sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(p->sock, header, strlen(header), (arr ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0 ||
        (arr && zmq_send(p->sock, arr, arr_size, ZMQ_DONTWAIT) < 0))
        return kisim_seterr(KISIM_EIO, "client: %s: cannot send: %s", p->endpoint,
                            zmq_strerror(errno));
    (void)c;
    return 0;
}

static int remote_error(const client_peer *p, const cJSON *h)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(h, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    const char *cs = cJSON_IsString(code) ? code->valuestring : "?";
    const char *ms = cJSON_IsString(msg) ? msg->valuestring : "";
    int pc = proto_code_from_name(cs);
    int err = pc == PROTO_E_INVALID_ACTION || pc == PROTO_E_BAD_ACTION ? KISIM_EINVALID_ACTION
              : pc == PROTO_E_NOT_RESET                                ? KISIM_ESTATE
                                                                       : KISIM_EPROTOCOL;
    return kisim_seterr(err, "client: %s: server error %s: %s", p->endpoint, cs, ms);
}

/* Reads one reply from p. Returns 1 if it was the awaited one (id), 0 if it was stale and was
 * dropped, or a negative error. With hdr_out, the parsed header is handed over (spaces). */
static int read_reply(client_peer *p, int64_t id, const reply_layout *lay, cJSON **hdr_out)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int err = 0, rc = zmq_msg_recv(&m, p->sock, ZMQ_DONTWAIT);
    if (rc < 0) {
        zmq_msg_close(&m);
        return errno == EAGAIN ? 0
                               : kisim_seterr(KISIM_EIO, "client: %s: receive failed: %s",
                                              p->endpoint, zmq_strerror(errno));
    }
    int delimited = rc == 0 && zmq_msg_more(&m);
    zmq_msg_close(&m);
    zmq_msg_init(&m);
    if (!delimited || zmq_msg_recv(&m, p->sock, 0) < 0) {
        zmq_msg_close(&m);
        drain(p->sock);
        return kisim_seterr(KISIM_EPROTOCOL, "client: %s: malformed reply (no header frame)",
                            p->endpoint);
    }
    cJSON *h = json_strict_parse(zmq_msg_data(&m), zmq_msg_size(&m), NULL, NULL);
    zmq_msg_close(&m);
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(h, "id");
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(h, "ok");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, "v");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(h, "n");
    if (!cJSON_IsObject(h) || !cJSON_IsNumber(v) || v->valuedouble != PROTO_VERSION ||
        !cJSON_IsBool(ok)) {
        err = kisim_seterr(KISIM_EPROTOCOL,
                           "client: %s: the reply is not a protocol-v%d header (is this a kisim "
                           "env server?)",
                           p->endpoint, PROTO_VERSION);
        goto cleanup;
    }
    if (!cJSON_IsNumber(rid) || rid->valuedouble != (double)id) {
        err = 0; /* an answer to a request that timed out earlier */
        goto cleanup;
    }
    if (!cJSON_IsTrue(ok)) {
        err = remote_error(p, h);
        goto cleanup;
    }
    if (!hdr_out && (!cJSON_IsNumber(n) || n->valueint != p->k)) {
        err = kisim_seterr(KISIM_EPROTOCOL, "client: %s: reply for %d envs, expected %d",
                           p->endpoint, cJSON_IsNumber(n) ? n->valueint : -1, p->k);
        goto cleanup;
    }
    for (int i = 0; i < lay->n && !err; i++) {
        size_t want = lay->row[i] * (size_t)p->k;
        char *dst = (char *)lay->dst[i] + lay->row[i] * (size_t)p->offset;
        int got = has_more(p->sock) ? zmq_recv(p->sock, dst, want, 0) : -2;
        if (got != (int)want)
            err =
                kisim_seterr(KISIM_EPROTOCOL, "client: %s: reply array %d: %s (expected %zu bytes)",
                             p->endpoint, i, got == -2 ? "missing" : "wrong size", want);
    }
    if (!err && has_more(p->sock))
        err = kisim_seterr(KISIM_EPROTOCOL, "client: %s: reply has more frames than expected",
                           p->endpoint);
    if (!err) err = 1;
    if (err == 1 && hdr_out) {
        *hdr_out = h;
        h = NULL;
    }
cleanup:
    drain(p->sock);
    cJSON_Delete(h);
    return err;
}

/* Waits for every peer's reply to request id, within the timeout. */
static int gather(kisim_client *c, const char *what, int64_t id, const reply_layout *lay,
                  cJSON **hdrs, int timeout_ms)
{
    int n = c->n, left = n, err = 0;
    uint8_t *done = calloc((size_t)n, 1);
    zmq_pollitem_t *items = calloc(2 * (size_t)n, sizeof *items);
    if (!done || !items) {
        err = kisim_seterr(KISIM_ENOMEM, "client: out of memory");
        goto cleanup;
    }
    double deadline = clock_mono_s() + timeout_ms / 1000.0;
    for (int i = 0; i < n && !err; i++) /* refused before the request went out */
        if (c->peers[i].refused)
            err = kisim_seterr(KISIM_EIO,
                               "client: %s: the server refused this client's CURVE "
                               "key (not in its authorised keys)",
                               c->peers[i].endpoint);
    while (left && !err) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (done[i]) continue;
            items[m++] = (zmq_pollitem_t){c->peers[i].sock, 0, ZMQ_POLLIN, 0};
            items[m++] = (zmq_pollitem_t){c->peers[i].mon, 0, ZMQ_POLLIN, 0};
        }
        long wait = (long)((deadline - clock_mono_s()) * 1000.0);
        if (wait < 0) wait = 0;
        int rc = zmq_poll(items, m, wait);
        if (rc < 0 && errno != EINTR) {
            err = kisim_seterr(KISIM_EIO, "client: poll: %s", zmq_strerror(errno));
            break;
        }
        for (int i = 0, j = 0; i < n && !err; i++) {
            if (done[i]) continue;
            client_peer *p = &c->peers[i];
            short sock_ev = items[j].revents, mon_ev = items[j + 1].revents;
            j += 2;
            if (sock_ev & ZMQ_POLLIN) {
                int r = read_reply(p, id, lay, hdrs ? &hdrs[i] : NULL);
                if (r < 0) err = r;
                if (r == 1) done[i] = 1, left--;
            }
            if (err || done[i] || !(mon_ev & ZMQ_POLLIN)) continue;
            int ev = read_event(p);
            if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) continue;
            /* A reply that arrived just before the drop is already queued: take it first. */
            int r = ev ? read_reply(p, id, lay, hdrs ? &hdrs[i] : NULL) : 0;
            if (r < 0) err = r;
            if (r == 1)
                done[i] = 1, left--;
            else if (!err && (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || p->refused))
                err = kisim_seterr(KISIM_EIO,
                                   "client: %s: the server refused this client's "
                                   "CURVE key (not in its authorised keys)",
                                   p->endpoint);
            else if (!err && (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                              ev == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL))
                err = kisim_seterr(KISIM_EIO,
                                   "client: %s: security handshake failed (wrong "
                                   "server key, or CURVE on one side only?)",
                                   p->endpoint);
            else if (!err && ev == ZMQ_EVENT_DISCONNECTED)
                err = kisim_seterr(KISIM_EIO,
                                   "client: %s: connection lost while waiting for "
                                   "the reply to %s (server gone?)",
                                   p->endpoint, what);
        }
        if (!err && left && clock_mono_s() >= deadline) {
            for (int i = 0; i < n; i++)
                if (!done[i]) {
                    const client_peer *p = &c->peers[i];
                    err = kisim_seterr(KISIM_ETIMEOUT, "client: %s: no reply to %s within %d ms%s",
                                       p->endpoint, what, timeout_ms,
                                       p->refused ? " (it refused this client's CURVE key)"
                                       : p->down  ? " (its connection dropped: server gone?)"
                                                  : " (no server there, busy, or refusing "
                                                    "this client?)");
                    break;
                }
        }
    }
cleanup:
    free(done);
    free(items);
    return err;
}

static int open_peer(kisim_client *c, client_peer *p, const char *endpoint, const client_opts *o)
{
    static atomic_int counter;
    char mon_addr[128];
    p->endpoint = strdup(endpoint);
    p->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    if (!p->endpoint || !p->sock) return kisim_seterr(KISIM_ENOMEM, "client: out of memory");
    int linger = 0;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (o && o->server_key) {
        if (!o->public_key || !o->secret_key)
            return kisim_seterr(KISIM_EUSAGE, "client: CURVE needs this client's key pair too");
        if (zmq_setsockopt(p->sock, ZMQ_CURVE_SERVERKEY, o->server_key, 41) != 0 ||
            zmq_setsockopt(p->sock, ZMQ_CURVE_PUBLICKEY, o->public_key, 41) != 0 ||
            zmq_setsockopt(p->sock, ZMQ_CURVE_SECRETKEY, o->secret_key, 41) != 0)
            return kisim_seterr(KISIM_EINPUT, "client: invalid CURVE key: %s", zmq_strerror(errno));
    }
    snprintf(mon_addr, sizeof mon_addr, "inproc://kisim-client-mon-%p-%d", (void *)p,
             atomic_fetch_add(&counter, 1));
    if (zmq_socket_monitor(p->sock, mon_addr, MON_EVENTS) != 0 ||
        !(p->mon = zmq_socket(c->ctx, ZMQ_PAIR)) || zmq_connect(p->mon, mon_addr) != 0)
        return kisim_seterr(KISIM_EIO, "client: monitor: %s", zmq_strerror(errno));
    zmq_setsockopt(p->mon, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(p->sock, endpoint) != 0)
        return kisim_seterr(KISIM_EUSAGE, "client: cannot connect to %s: %s", endpoint,
                            zmq_strerror(errno));
    return 0;
}

static int get_int(const cJSON *h, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, key);
    if (!cJSON_IsNumber(v)) return 0;
    *out = v->valueint;
    return 1;
}

/* Checks one spaces reply and takes its sizes; peers after the first must agree. */
static int take_spaces(kisim_client *c, client_peer *p, const cJSON *h, int first)
{
    int envs, n_max, window, obs_dim, mask_dim, n_info;
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(h, "invalid_action");
    if (!get_int(h, "envs", &envs) || !get_int(h, "n_max", &n_max) ||
        !get_int(h, "window", &window) || !get_int(h, "obs_dim", &obs_dim) ||
        !get_int(h, "mask_dim", &mask_dim) || !get_int(h, "n_info", &n_info) ||
        !cJSON_IsString(mode) || envs < 1 || n_max < 1 || window < 1)
        return kisim_seterr(KISIM_EPROTOCOL, "client: %s: incomplete spaces reply", p->endpoint);
    env_spaces sp;
    spaces_init(&sp, n_max, window);
    if (sp.obs_dim != obs_dim || sp.mask_dim != mask_dim || sp.n_info != n_info)
        return kisim_seterr(KISIM_EINPUT,
                            "client: %s: spaces (obs %d, mask %d, info %d) differ from this "
                            "build's layout for N_max %d, T %d (obs %d, mask %d, info %d)",
                            p->endpoint, obs_dim, mask_dim, n_info, n_max, window, sp.obs_dim,
                            sp.mask_dim, sp.n_info);
    int inv = !strcmp(mode->valuestring, "error");
    if (!first && (sp.n_max != c->sp.n_max || sp.window != c->sp.window || inv != c->invalid_error))
        return kisim_seterr(KISIM_EINPUT,
                            "client: %s: its spaces or invalid_action mode differ from %s's; "
                            "servers stepped together must share them",
                            p->endpoint, c->peers[0].endpoint);
    c->sp = sp;
    c->invalid_error = inv;
    p->k = envs;
    p->offset = c->k;
    c->k += envs;
    return 0;
}

int client_open(kisim_client **out, const char *const *endpoints, int n, const client_opts *o)
{
    *out = NULL;
    if (n < 1) return kisim_seterr(KISIM_EUSAGE, "client: need at least one endpoint");
    kisim_client *c = calloc(1, sizeof *c);
    cJSON **hdrs = calloc((size_t)n, sizeof *hdrs);
    int err = 0;
    if (!c || !hdrs || !(c->peers = calloc((size_t)n, sizeof *c->peers)) ||
        !(c->ctx = zmq_ctx_new())) {
        err = kisim_seterr(KISIM_ENOMEM, "client: out of memory");
        goto cleanup;
    }
    c->n = n;
    c->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : CLIENT_DEFAULT_TIMEOUT_MS;
    c->needs_reset = 1;
    for (int i = 0; i < n && !err; i++)
        err = open_peer(c, &c->peers[i], endpoints[i], o);
    char header[128];
    int64_t id = ++c->next_id;
    snprintf(header, sizeof header, "{\"v\":%d,\"cmd\":\"spaces\",\"id\":%lld}", PROTO_VERSION,
             (long long)id);
    for (int i = 0; i < n && !err; i++)
        err = send_request(c, &c->peers[i], header, NULL, 0);
    reply_layout none = {0};
    if (!err) err = gather(c, "spaces", id, &none, hdrs, c->timeout_ms);
    for (int i = 0; i < n && !err; i++)
        err = take_spaces(c, &c->peers[i], hdrs[i], i == 0);
    if (!err && !(c->masks = calloc((size_t)c->k * c->sp.mask_dim, 1)))
        err = kisim_seterr(KISIM_ENOMEM, "client: out of memory");
cleanup:
    for (int i = 0; hdrs && i < n; i++)
        cJSON_Delete(hdrs[i]);
    free(hdrs);
    if (err) {
        client_close(c);
        return err;
    }
    *out = c;
    return 0;
}

int client_size(const kisim_client *c)
{
    return c->k;
}

void client_get_spaces(const kisim_client *c, env_spaces *sp)
{
    *sp = c->sp;
}

int client_invalid_is_error(const kisim_client *c)
{
    return c->invalid_error;
}

const char *client_endpoint_of(const kisim_client *c, int k, int *local)
{
    for (int i = 0; i < c->n; i++)
        if (k >= c->peers[i].offset && k < c->peers[i].offset + c->peers[i].k) {
            if (local) *local = k - c->peers[i].offset;
            return c->peers[i].endpoint;
        }
    return NULL;
}

int client_reset(kisim_client *c, uint64_t seed, float *obs, uint8_t *mask)
{
    int64_t id = ++c->next_id;
    int err = 0;
    for (int i = 0; i < c->n && !err; i++) {
        char header[256];
        snprintf(header, sizeof header,
                 "{\"v\":%d,\"cmd\":\"reset\",\"id\":%lld,\"seed\":\"%llu\",\"env_offset\":%d,"
                 "\"total_envs\":%d}",
                 PROTO_VERSION, (long long)id, (unsigned long long)seed, c->peers[i].offset, c->k);
        err = send_request(c, &c->peers[i], header, NULL, 0);
    }
    reply_layout lay = {
        2, {obs, mask}, {(size_t)c->sp.obs_dim * sizeof *obs, (size_t)c->sp.mask_dim}};
    if (!err) err = gather(c, "reset", id, &lay, NULL, c->timeout_ms);
    c->needs_reset = err != 0;
    if (!err) memcpy(c->masks, mask, (size_t)c->k * c->sp.mask_dim);
    return err;
}

/* The checks the servers would make, made before anything is sent. */
static int check_actions(const kisim_client *c, const int32_t *a)
{
    int md = c->sp.mask_dim, nm = c->sp.n_max;
    for (int k = 0; k < c->k; k++) {
        int node = a[2 * k], scale = a[2 * k + 1];
        const uint8_t *m = c->masks + (size_t)k * md;
        const char *why = NULL;
        if (node < 0 || node >= nm)
            why = "node is outside [0, N_max)";
        else if (scale < 0 || scale > 2)
            why = "scale is outside {0, 1, 2}";
        else if (c->invalid_error && !m[node])
            why = "node is masked";
        else if (c->invalid_error && !m[nm + scale])
            why = "scale is masked";
        if (why) {
            int local = 0;
            const char *ep = client_endpoint_of(c, k, &local);
            return kisim_seterr(KISIM_EINVALID_ACTION,
                                "client: env %d (%s, env %d there): invalid action (%d, %d): %s", k,
                                ep, local, node, scale, why);
        }
    }
    return 0;
}

int client_step(kisim_client *c, const int32_t *actions, float *obs, uint8_t *mask, float *rewards,
                uint8_t *terminated, uint8_t *truncated, float *info)
{
    if (c->needs_reset) return kisim_seterr(KISIM_ESTATE, "client: step before a successful reset");
    int err = check_actions(c, actions);
    if (err) return err;
    int64_t id = ++c->next_id;
    char header[128];
    snprintf(header, sizeof header, "{\"v\":%d,\"cmd\":\"step\",\"id\":%lld}", PROTO_VERSION,
             (long long)id);
    for (int i = 0; i < c->n && !err; i++)
        err = send_request(c, &c->peers[i], header, actions + 2 * (size_t)c->peers[i].offset,
                           (size_t)c->peers[i].k * 2 * sizeof *actions);
    reply_layout lay = {6,
                        {obs, rewards, terminated, truncated, mask, info},
                        {(size_t)c->sp.obs_dim * sizeof *obs, sizeof *rewards, 1, 1,
                         (size_t)c->sp.mask_dim, (size_t)c->sp.n_info * sizeof *info}};
    if (!err) err = gather(c, "step", id, &lay, NULL, c->timeout_ms);
    c->needs_reset = err != 0;
    if (!err) memcpy(c->masks, mask, (size_t)c->k * c->sp.mask_dim);
    return err;
}

void client_close(kisim_client *c)
{
    if (!c) return;
    char saved[1024]; /* the caller may still want the message of the failure that led here */
    snprintf(saved, sizeof saved, "%s", kisim_errmsg());
    /* Tell the servers their envs are free; a server that is gone does not hold us long. */
    if (c->masks) {
        int64_t id = ++c->next_id;
        char header[128];
        snprintf(header, sizeof header, "{\"v\":%d,\"cmd\":\"close\",\"id\":%lld}", PROTO_VERSION,
                 (long long)id);
        int err = 0;
        for (int i = 0; i < c->n && !err; i++)
            err = send_request(c, &c->peers[i], header, NULL, 0);
        reply_layout none = {0};
        if (!err) gather(c, "close", id, &none, NULL, c->timeout_ms < 1000 ? c->timeout_ms : 1000);
    }
    for (int i = 0; c->peers && i < c->n; i++) {
        client_peer *p = &c->peers[i];
        if (p->sock) zmq_socket_monitor(p->sock, NULL, 0);
        if (p->mon) zmq_close(p->mon);
        if (p->sock) zmq_close(p->sock);
        free(p->endpoint);
    }
    free(c->peers);
    free(c->masks);
    if (c->ctx) zmq_ctx_term(c->ctx);
    free(c);
    kisim_seterr(0, "%s", saved);
}
