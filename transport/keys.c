/* keys.c: CURVE key files (generate, read, derive), the authorised-keys list and the ZAP
 * handler (RFC 27, ZeroMQ Authentication Protocol) that the env server polls beside its socket. */
#include "transport/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include "common/err.h"

int curve_available(void)
{
    if (!zmq_has("curve"))
        return kisim_seterr(KISIM_EUNSUPPORTED,
                            "curve: this libzmq was built without CURVE security (libsodium)");
    return 0;
}

/* Writes text to path through a temp file with the given mode, fsync and rename. */
static int write_atomic_mode(const char *path, const char *text, mode_t mode)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL, mode);
    if (fd < 0) return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(errno));
    size_t len = strlen(text), off = 0;
    int e = 0;
    while (off < len && !e) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno != EINTR) e = errno;
        if (w > 0) off += (size_t)w;
    }
    if (!e && fchmod(fd, mode) != 0) e = errno; /* the umask does not get to widen or narrow it */
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        unlink(tmp);
        return kisim_seterr(KISIM_EIO, "cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int curve_keygen(const char *prefix, int force, char pub_out[CURVE_KEY_Z85])
{
    int err = curve_available();
    if (err) return err;
    char pub[CURVE_KEY_Z85], sec[CURVE_KEY_Z85], path[4200], text[512];
    snprintf(path, sizeof path, "%s.key", prefix);
    if (!force && access(path, F_OK) == 0)
        return kisim_seterr(KISIM_EUSAGE,
                            "keygen: %s exists; refusing to replace a secret key (use --force)",
                            path);
    if (zmq_curve_keypair(pub, sec) != 0)
        return kisim_seterr(KISIM_EINTERNAL, "keygen: zmq_curve_keypair: %s", zmq_strerror(errno));
    snprintf(
        text, sizeof text,
        "# kisim CURVE secret key (Z85). Keep it private: it proves this endpoint's identity.\n"
        "%s\n",
        sec);
    err = write_atomic_mode(path, text, 0600);
    if (!err) {
        snprintf(path, sizeof path, "%s.pub", prefix);
        snprintf(text, sizeof text, "# kisim CURVE public key (Z85) of %s.key\n%s\n", prefix, pub);
        err = write_atomic_mode(path, text, 0644);
    }
    memset(sec, 0, sizeof sec);
    memset(text, 0, sizeof text);
    if (!err && pub_out) memcpy(pub_out, pub, CURVE_KEY_Z85);
    return err;
}

/* Z85 alphabet check plus decode, so a typo is caught here and not by a silent handshake. */
static int z85_ok(const char *s, uint8_t raw[32])
{
    char buf[CURVE_KEY_Z85];
    memcpy(buf, s, 40);
    buf[40] = 0;
    return zmq_z85_decode(raw, buf) != NULL;
}

/* Calls fn(line, lineno, ctx) for each key line of a file (comments and blanks skipped). */
static int each_key_line(const char *path, int (*fn)(const char *, int, void *), void *ctx)
{
    FILE *f = fopen(path, "r");
    if (!f) return kisim_seterr(KISIM_EINPUT, "cannot read %s: %s", path, strerror(errno));
    char line[1024];
    int lineno = 0, err = 0, stop = 0;
    while (!err && !stop && fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strcspn(line, "\r\n");
        line[len] = 0;
        if (!len || line[0] == '#') continue;
        int r = fn(line, lineno, ctx);
        if (r < 0) err = r;
        if (r > 0) stop = 1;
    }
    fclose(f);
    return err;
}

typedef struct {
    const char *path;
    char *z85;
    int found;
} one_key;

static int take_one(const char *line, int lineno, void *ctx)
{
    one_key *k = ctx;
    uint8_t raw[32];
    if (strlen(line) < 40 || (line[40] && line[40] != ' ' && line[40] != '\t') ||
        !z85_ok(line, raw))
        return kisim_seterr(KISIM_EINPUT, "%s:%d: expected a 40-character Z85 CURVE key", k->path,
                            lineno);
    memcpy(k->z85, line, 40);
    k->z85[40] = 0;
    k->found = 1;
    return 1;
}

int curve_read_key(const char *path, char z85[CURVE_KEY_Z85])
{
    one_key k = {path, z85, 0};
    int err = each_key_line(path, take_one, &k);
    if (!err && !k.found) err = kisim_seterr(KISIM_EINPUT, "%s: no key in the file", path);
    return err;
}

int curve_public_of(const char *secret_z85, char pub_z85[CURVE_KEY_Z85])
{
    if (zmq_curve_public(pub_z85, secret_z85) != 0)
        return kisim_seterr(KISIM_EINPUT, "curve: not a valid Z85 secret key");
    return 0;
}

typedef struct {
    const char *path;
    uint8_t (*keys)[32];
    int n, cap;
} key_list;

static int take_all(const char *line, int lineno, void *ctx)
{
    key_list *l = ctx;
    uint8_t raw[32];
    if (strlen(line) < 40 || (line[40] && line[40] != ' ' && line[40] != '\t') ||
        !z85_ok(line, raw))
        return kisim_seterr(KISIM_EINPUT, "%s:%d: expected a 40-character Z85 public key", l->path,
                            lineno);
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        void *p = realloc(l->keys, (size_t)cap * sizeof *l->keys);
        if (!p) return kisim_seterr(KISIM_ENOMEM, "curve: out of memory");
        l->keys = p;
        l->cap = cap;
    }
    memcpy(l->keys[l->n++], raw, 32);
    return 0;
}

int curve_read_authorized(const char *path, uint8_t (**keys)[32], int *n)
{
    key_list l = {path, NULL, 0, 0};
    int err = each_key_line(path, take_all, &l);
    if (!err && l.n == 0)
        err = kisim_seterr(KISIM_EINPUT, "%s: no public keys (one Z85 key per line)", path);
    if (err) {
        free(l.keys);
        return err;
    }
    *keys = l.keys;
    *n = l.n;
    return 0;
}

/* ZAP request frames: version, request id, domain, address, routing id, mechanism, then the
 * mechanism's credentials (CURVE: the client's 32-byte public key). */
enum { ZAP_FRAMES = 7 };

int curve_zap_handle(void *zap, const uint8_t (*keys)[32], int n, int *admitted)
{
    zmq_msg_t f[ZAP_FRAMES + 1];
    int got = 0, more = 1, err = 0;
    if (admitted) *admitted = 0;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zap, 0) < 0) {
            zmq_msg_close(&m);
            return kisim_seterr(KISIM_EPROTOCOL, "zap: receive failed: %s", zmq_strerror(errno));
        }
        more = zmq_msg_more(&m);
        if (got < ZAP_FRAMES + 1)
            f[got++] = m;
        else
            zmq_msg_close(&m);
    }
    const char *status = "500", *text = "malformed ZAP request";
    if (got >= 6 && zmq_msg_size(&f[0]) == 3 && !memcmp(zmq_msg_data(&f[0]), "1.0", 3)) {
        status = "400";
        text = "unknown client key";
        if (got == 7 && zmq_msg_size(&f[5]) == 5 && !memcmp(zmq_msg_data(&f[5]), "CURVE", 5) &&
            zmq_msg_size(&f[6]) == 32) {
            for (int i = 0; i < n; i++)
                if (!memcmp(keys[i], zmq_msg_data(&f[6]), 32)) {
                    status = "200";
                    text = "OK";
                    if (admitted) *admitted = 1;
                    break;
                }
        }
    } else {
        err = kisim_seterr(KISIM_EPROTOCOL, "zap: malformed request (%d frames)", got);
    }
    /* Reply: version, request id, status code, status text, user id, metadata. */
    const void *rid = got >= 2 ? zmq_msg_data(&f[1]) : "";
    size_t rid_len = got >= 2 ? zmq_msg_size(&f[1]) : 0;
    if (zmq_send(zap, "1.0", 3, ZMQ_SNDMORE) < 0 || zmq_send(zap, rid, rid_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, status, 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, text, strlen(text), ZMQ_SNDMORE) < 0 ||
        zmq_send(zap, "", 0, ZMQ_SNDMORE) < 0 || zmq_send(zap, "", 0, 0) < 0)
        err = kisim_seterr(KISIM_EPROTOCOL, "zap: reply failed: %s", zmq_strerror(errno));
    for (int i = 0; i < got; i++)
        zmq_msg_close(&f[i]);
    return err;
}
