/* client.h: the learner's side of the env protocol (env/PROTOCOL.md): one or many env servers
 * stepped together as one vector env, with the vecenv's calling convention.
 *
 *   client_open(&c, endpoints, n, &opts) -> client_reset -> client_step* -> client_close
 *
 * Envs are numbered across endpoints in the order given: endpoint 0's K_0 envs first, and so
 * on. A reset of seed S seeds them exactly like one in-process vecenv of K = sum K_i envs
 * (each server is told its span, env_offset and total_envs), so a trajectory is the same
 * whether the envs run here, on one server or on many.
 *
 * Every request goes to all endpoints before any reply is read, so servers step in parallel.
 * Replies are received straight into the caller's arrays (one copy, out of ZeroMQ's buffer).
 * A server that does not answer within the timeout, or whose connection drops while a reply is
 * due, fails the call with KISIM_ETIMEOUT / KISIM_EIO and a message naming its endpoint. */
#ifndef KISIM_CLIENT_H
#define KISIM_CLIENT_H

#include <stdint.h>

#include "spaces/spaces.h"

typedef struct kisim_client kisim_client;

typedef struct {
    int timeout_ms;         /* per request; 0 = CLIENT_DEFAULT_TIMEOUT_MS */
    const char *server_key; /* CURVE: the servers' Z85 public key; NULL = plain ZeroMQ */
    const char *public_key; /* CURVE: this client's Z85 key pair */
    const char *secret_key;
} client_opts;

#define CLIENT_DEFAULT_TIMEOUT_MS 30000

/* Connects to every endpoint and asks each for its spaces; all must agree on the spaces.
 * Errors name the endpoint: KISIM_ETIMEOUT (no answer: no server there, or it refused our
 * CURVE key), KISIM_EPROTOCOL (it answered something else), KISIM_EINPUT (spaces differ). */
int client_open(kisim_client **out, const char *const *endpoints, int n, const client_opts *o);
void client_close(kisim_client *c);
/* Total envs K over all endpoints. */
int client_size(const kisim_client *c);
void client_get_spaces(const kisim_client *c, env_spaces *sp);
/* 1 if the servers reject masked actions (invalid_action "error"), 0 in penalty mode. */
int client_invalid_is_error(const kisim_client *c);
/* The endpoint that hosts global env k, and k's index there (may be NULL). */
const char *client_endpoint_of(const kisim_client *c, int k, int *local);

/* Same arrays as vecenv_reset / vecenv_step: obs [K, obs_dim], mask [K, mask_dim], rewards,
 * terminated, truncated [K], info [K, n_info]; actions int32 [K, 2]. In error mode a masked
 * action is refused here, before anything is sent (KISIM_EINVALID_ACTION, all or nothing).
 * After a failed step the envs may be out of step with each other: the next step fails with
 * KISIM_ESTATE until a reset. */
int client_reset(kisim_client *c, uint64_t seed, float *obs, uint8_t *mask);
int client_step(kisim_client *c, const int32_t *actions, float *obs, uint8_t *mask, float *rewards,
                uint8_t *terminated, uint8_t *truncated, float *info);

#endif
