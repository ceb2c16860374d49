/* auth.c: the collectors file (key -> node bindings, sorted for binary search), the ZAP handler
 * that admits only listed keys and names each connection by its key, and the client side's
 * socket options (auth.h). */
#include "telemetry/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zmq.h>

#include "common/err.h"
#include "telemetry/frame.h"

typedef struct {
    uint8_t key[32];
    char z85[41];
    char node[TELEM_FRAME_NAME_MAX + 1];
} binding;

struct telem_auth {
    binding *b; /* [n], sorted by key then node; owned */
    int n;
};

static int by_key_node(const void *pa, const void *pb)
{
    const binding *a = pa, *b = pb;
    int c = memcmp(a->key, b->key, 32);
    return c ? c : strcmp(a->node, b->node);
}

static int by_key(const void *pk, const void *pb)
{
    return memcmp(pk, ((const binding *)pb)->key, 32);
}

/* `PUBKEY NODE` into b; a message naming path:lineno if it is not that. */
static int parse_line(char *line, binding *b, const char *path, int lineno)
{
    size_t len = strcspn(line, "\r\n");
    line[len] = 0;
    if (len < 42 || (line[40] != ' ' && line[40] != '\t'))
        return kisim_seterr(KISIM_EINPUT,
                            "%s:%d: expected `PUBKEY NODE` (a 40-character Z85 public key, a "
                            "space, a node name)",
                            path, lineno);
    memcpy(b->z85, line, 40);
    b->z85[40] = 0;
    if (!zmq_z85_decode(b->key, b->z85))
        return kisim_seterr(KISIM_EINPUT, "%s:%d: the key is not valid Z85", path, lineno);
    const char *node = line + 41;
    while (*node == ' ' || *node == '\t')
        node++;
    if (!telem_frame_name_ok(node))
        return kisim_seterr(KISIM_EINPUT,
                            "%s:%d: the node name must be 1..%d printable ASCII bytes without "
                            "spaces or quotes",
                            path, lineno, TELEM_FRAME_NAME_MAX);
    memcpy(b->node, node, strlen(node) + 1); /* telem_frame_name_ok bounded its length */
    return 0;
}

static int read_lines(FILE *f, telem_auth *a, const char *path)
{
    char line[512];
    int lineno = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f))
            return kisim_seterr(KISIM_EINPUT, "%s:%d: line longer than %zu bytes", path, lineno,
                                sizeof line - 2);
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0) continue;
        if (a->n == TELEM_AUTH_MAX_LINES)
            return kisim_seterr(KISIM_EINPUT, "%s:%d: more than %d collector lines", path, lineno,
                                TELEM_AUTH_MAX_LINES);
        if (a->n == cap) {
            cap = cap ? 2 * cap : 16;
            binding *b = realloc(a->b, (size_t)cap * sizeof *b);
            if (!b) return kisim_seterr(KISIM_ENOMEM, "telemetry auth: out of memory");
            a->b = b;
        }
        int err = parse_line(line, &a->b[a->n], path, lineno);
        if (err) return err;
        a->n++;
    }
    if (ferror(f)) return kisim_seterr(KISIM_EIO, "%s: read error", path);
    if (!a->n) return kisim_seterr(KISIM_EINPUT, "%s: no collectors (`PUBKEY NODE` lines)", path);
    return 0;
}

int telem_auth_read(telem_auth **out, const char *path)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) return kisim_seterr(KISIM_EIO, "%s: cannot open it: %s", path, strerror(errno));
    struct stat sb;
    telem_auth *a = calloc(1, sizeof *a);
    int err = !a ? kisim_seterr(KISIM_ENOMEM, "out of memory")
              : fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)
                  ? kisim_seterr(KISIM_EINPUT, "%s: not a regular file", path)
                  : read_lines(f, a, path);
    fclose(f);
    if (err) {
        telem_auth_free(a);
        return err;
    }
    qsort(a->b, (size_t)a->n, sizeof *a->b, by_key_node);
    *out = a;
    return 0;
}

void telem_auth_free(telem_auth *a)
{
    if (!a) return;
    free(a->b);
    free(a);
}

int telem_auth_count(const telem_auth *a)
{
    return a->n;
}

int telem_auth_knows(const telem_auth *a, const uint8_t key[32])
{
    return bsearch(key, a->b, (size_t)a->n, sizeof *a->b, by_key) != NULL;
}

int telem_auth_allows(const telem_auth *a, const char *user_id, const char *node)
{
    binding k;
    if (!user_id || strlen(user_id) != 40 || !zmq_z85_decode(k.key, user_id)) return 0;
    snprintf(k.node, sizeof k.node, "%s", node);
    return bsearch(&k, a->b, (size_t)a->n, sizeof *a->b, by_key_node) != NULL;
}

/* ZAP request frames: version, request id, domain, address, routing id, mechanism, then the
 * mechanism's credentials (CURVE: the client's 32-byte public key). */
enum { ZAP_FRAMES = 7 };

static int zap_reply(void *zap, const zmq_msg_t *rid, const char *status, const char *user)
{
    const char *text = status[0] == '2'   ? "OK"
                       : status[0] == '4' ? "unknown collector key"
                                          : "malformed";
    const void *id = rid ? zmq_msg_data((zmq_msg_t *)rid) : "";
    size_t id_len = rid ? zmq_msg_size((zmq_msg_t *)rid) : 0;
    if (zmq_send(zap, "1.0", 3, ZMQ_SNDMORE) < 0 || zmq_send(zap, id, id_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, status, 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, text, strlen(text), ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, user, strlen(user), ZMQ_SNDMORE) < 0 || zmq_send(zap, "", 0, 0) < 0)
        return kisim_seterr(KISIM_EPROTOCOL, "telemetry zap: reply failed: %s",
                            zmq_strerror(errno));
    return 0;
}

int telem_auth_zap(void *zap, const telem_auth *a, int *admitted)
{
    zmq_msg_t f[ZAP_FRAMES];
    int got = 0, more = 1, err = 0;
    *admitted = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zap, 0) < 0) {
            zmq_msg_close(&m);
            err = kisim_seterr(KISIM_EPROTOCOL, "telemetry zap: receive failed: %s",
                               zmq_strerror(errno));
            goto cleanup;
        }
        more = zmq_msg_more(&m);
        if (got < ZAP_FRAMES) { /* moved, never copied by value */
            zmq_msg_init(&f[got]);
            zmq_msg_move(&f[got++], &m);
        }
        zmq_msg_close(&m);
    }
    char user[41] = "";
    const char *status = "500";
    if (got >= 6 && zmq_msg_size(&f[0]) == 3 && !memcmp(zmq_msg_data(&f[0]), "1.0", 3)) {
        status = "400";
        if (got == 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
            zmq_msg_size(&f[6]) == 32 && telem_auth_knows(a, zmq_msg_data(&f[6]))) {
            status = "200";
            zmq_z85_encode(user, zmq_msg_data(&f[6]), 32);
            *admitted = 1;
        }
    } else {
        err = kisim_seterr(KISIM_EPROTOCOL, "telemetry zap: malformed request (%d frames)", got);
    }
    int rerr = zap_reply(zap, got >= 2 ? &f[1] : NULL, status, user);
    if (!err) err = rerr;
cleanup:
    for (int i = 0; i < got; i++)
        zmq_msg_close(&f[i]);
    return err;
}

int telem_curve_client(void *sock, const char *secret_z85, const char *server_public_z85)
{
    char pub[41];
    uint8_t raw[32];
    if (strlen(secret_z85) != 40 || !zmq_z85_decode(raw, secret_z85) ||
        zmq_curve_public(pub, secret_z85) != 0)
        return kisim_seterr(KISIM_EUSAGE, "telemetry: the CURVE secret key is not valid Z85");
    if (strlen(server_public_z85) != 40 || !zmq_z85_decode(raw, server_public_z85))
        return kisim_seterr(KISIM_EUSAGE,
                            "telemetry: the server's CURVE public key is not valid Z85");
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_public_z85, 41) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, 41) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, secret_z85, 41) != 0)
        return kisim_seterr(KISIM_EUNSUPPORTED, "telemetry: CURVE setup failed: %s",
                            zmq_strerror(errno));
    return 0;
}
