/* auth.h: CURVE for telemetry sockets. The scoring service's SUB is a CURVE server that admits
 * only the collectors listed in a collectors file, each key bound to the node names it may
 * report: a collector holding node A's key cannot publish node B's frames.
 *
 * Collectors file: text, '#' starts a comment line, blank lines skipped; every other line is
 * `PUBKEY NODE`: a collector's 40-character Z85 CURVE public key (`kisim env keygen` writes the
 * pair), a space or tab, and a node name (telemetry/frame.h). A key may have several lines (a
 * collector reporting several nodes); at most TELEM_AUTH_MAX_LINES lines. */
#ifndef KISIM_TELEM_AUTH_H
#define KISIM_TELEM_AUTH_H

#include <stdint.h>

#define TELEM_AUTH_MAX_LINES                                                                       \
    65536 /* bindings in a collectors file, as many as the store's nodes                           \
           */

typedef struct telem_auth telem_auth;

/* Reads a collectors file; KISIM_EINPUT naming FILE:LINE and what is wrong, KISIM_EIO if it
 * cannot be read. */
int telem_auth_read(telem_auth **out, const char *path);
void telem_auth_free(telem_auth *a);
/* Lines (bindings) read. */
int telem_auth_count(const telem_auth *a);
/* 1 if the 32-byte public key is listed. */
int telem_auth_knows(const telem_auth *a, const uint8_t key[32]);
/* 1 if the key whose Z85 text is user_id (a ZAP User-Id) is bound to node. */
int telem_auth_allows(const telem_auth *a, const char *user_id, const char *node);

/* Answers one ZAP request (RFC 27) waiting on zap, a REP socket bound to
 * inproc://zeromq.zap.01: 200 with the key's Z85 text as User-Id for a listed CURVE key, 400
 * otherwise. *admitted gets which. Returns 0, or KISIM_EPROTOCOL for a malformed request
 * (answered 500). */
int telem_auth_zap(void *zap, const telem_auth *a, int *admitted);

/* Makes sock (a collector's or a replay's PUB) a CURVE client: its own secret key and the
 * scoring service's public key, both 40-character Z85. KISIM_EUSAGE naming which is invalid. */
int telem_curve_client(void *sock, const char *secret_z85, const char *server_public_z85);

#endif
