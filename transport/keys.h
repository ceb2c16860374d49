/* keys.h: ZeroMQ CURVE keys for the env server and its clients: key files, the authorised
 * clients list, and the ZAP handler that admits only those clients.
 *
 * Key files are text: lines starting with '#' are comments, the key is the first other line's
 * first 40 characters (Z85, ZeroMQ's encoding of a 32-byte Curve25519 key). PREFIX.key holds
 * the secret key (mode 0600), PREFIX.pub the public key. An authorised-keys file holds one
 * public key per line, each optionally followed by a space and a comment (`cat *.pub` makes
 * one). */
#ifndef KISIM_CURVE_H
#define KISIM_CURVE_H

#include <stdint.h>

#define CURVE_KEY_Z85 41 /* 40 characters and a NUL */

/* KISIM_EUNSUPPORTED when this libzmq was built without CURVE. */
int curve_available(void);
/* Writes PREFIX.key (secret, 0600) and PREFIX.pub, each atomically (temp file, fsync,
 * rename). Refuses to replace an existing PREFIX.key unless force. pub_out (may be NULL) gets
 * the public key. */
int curve_keygen(const char *prefix, int force, char pub_out[CURVE_KEY_Z85]);
/* Reads the key in a key file; KISIM_EINPUT naming the file and line if it is not one. */
int curve_read_key(const char *path, char z85[CURVE_KEY_Z85]);
/* The public key of a secret key (both Z85). */
int curve_public_of(const char *secret_z85, char pub_z85[CURVE_KEY_Z85]);
/* Reads an authorised-keys file into *keys (malloc'd, n 32-byte keys; caller frees). */
int curve_read_authorized(const char *path, uint8_t (**keys)[32], int *n);

/* Answers one ZAP request waiting on zap (a REP socket bound to inproc://zeromq.zap.01):
 * 200 for a CURVE client whose key is in keys, 400 otherwise. *admitted (may be NULL) says
 * which; returns 0, or KISIM_EPROTOCOL for a malformed ZAP request (answered 500). */
int curve_zap_handle(void *zap, const uint8_t (*keys)[32], int n, int *admitted);

#endif
