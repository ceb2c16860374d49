/* env_cli.c: `kisim env`: the environment's own verbs. `spaces` prints the spaces description
 * of a config; `serve` hosts K envs behind the ZeroMQ protocol (env/PROTOCOL.md); `keygen`
 * writes a CURVE key pair for it. */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/cli_args.h"
#include "common/err.h"
#include "common/log.h"
#include "env/env.h"
#include "env/remote/server.h"
#include "env/remote/verbs.h"
#include "transport/keys.h"

static void env_usage(FILE *out)
{
    fprintf(out,
            "usage: kisim env spaces --config FILE\n"
            "       kisim env serve --config FILE [--bind ENDPOINT] [--envs K]\n"
            "                       [--curve-secret FILE --authorized-keys FILE] [--quiet]\n"
            "       kisim env keygen --out PREFIX [--force]\n\n"
            "spaces  prints the observation, action, mask and info layout of the config's env\n"
            "        as JSON: shapes, offsets into the flat observation, the feature table\n"
            "        (name, unit, normalisation range, source) and the names of the pod\n"
            "        context, service state and info entries.\n"
            "serve   hosts K envs (default 1) and answers spaces/reset/step/close over ZeroMQ\n"
            "        (env/PROTOCOL.md) on ENDPOINT (default %s; tcp://HOST:* picks\n"
            "        a free port; ipc:///tmp/NAME for a Unix socket). Prints \"endpoint E\" on\n"
            "        stdout once bound. With --curve-secret (this server's key from keygen)\n"
            "        and --authorized-keys (client public keys, one per line) it speaks CURVE\n"
            "        and refuses other clients. SIGINT or SIGTERM stop it.\n"
            "keygen  writes a CURVE key pair: PREFIX.key (secret, mode 0600) and PREFIX.pub.\n",
            SERVER_DEFAULT_BIND);
}

static int env_spaces_main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--config") != 0) {
        env_usage(stderr);
        return 2;
    }
    kisim_config cfg;
    int err = cfg_read(&cfg, argv[2]);
    if (err) return args_fail(err);
    env_spaces sp;
    spaces_init(&sp, cfg.env.max_nodes, cfg.env.window);
    cJSON *d = spaces_describe(&sp);
    char *text = d ? cJSON_Print(d) : NULL;
    if (text) printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(d);
    return text ? 0 : 1;
}

static atomic_int stop_flag; /* set by the signal handler, lock-free */

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, 1);
    env_interrupt(); /* a local env's step in progress returns at once */
}

/* A tcp endpoint on a host other than loopback. */
static int exposed(const char *ep)
{
    if (strncmp(ep, "tcp://", 6) != 0) return 0;
    const char *h = ep + 6;
    return strncmp(h, "127.", 4) != 0 && strncmp(h, "localhost:", 10) != 0 &&
           strncmp(h, "[::1]:", 6) != 0;
}

static int env_serve_main(int argc, char **argv)
{
    const char *config = NULL, *secret_path = NULL, *auth_path = NULL;
    server_opts so = {.bind = SERVER_DEFAULT_BIND, .envs = 1};
    int quiet = 0;
    const args_opt opts[] = {
        ARGS_OPT_STR("config", 'c', &config),
        ARGS_OPT_STR("bind", 'b', &so.bind),
        ARGS_OPT_INT("envs", 'k', &so.envs, 1, 65536),
        ARGS_OPT_STR("curve-secret", 's', &secret_path),
        ARGS_OPT_STR("authorized-keys", 'a', &auth_path),
        ARGS_OPT_FLAG("quiet", 'q', &quiet),
    };
    int err = args_parse("env serve", argc, argv, opts, ARGS_COUNT(opts));
    if (err > 0) return args_usage(env_usage, err);
    if (err) return args_fail(err);
    if (quiet) log_set_level(LOG_WARN);
    if (optind != argc || !config) {
        fprintf(stderr, "env serve: %s\n",
                !config ? "--config FILE is required" : "unexpected argument");
        return 2;
    }
    if (!secret_path != !auth_path) {
        fprintf(stderr, "env serve: --curve-secret and --authorized-keys go together\n");
        return 2;
    }
    kisim_config cfg;
    char secret[CURVE_KEY_Z85];
    uint8_t(*keys)[32] = NULL;
    kisim_server *s = NULL;
    if ((err = cfg_read(&cfg, config))) goto cleanup;
    if (secret_path) {
        if ((err = curve_available()) || (err = curve_read_key(secret_path, secret)) ||
            (err = curve_read_authorized(auth_path, &keys, &so.n_authorized)))
            goto cleanup;
        so.curve_secret = secret;
        so.authorized = (const uint8_t(*)[32])keys;
    }
    if ((err = server_open(&s, &cfg, &so))) goto cleanup;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: the poll wakes up at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (exposed(server_endpoint(s)) && !secret_path)
        log_warn("env serve: %s is reachable beyond this machine without CURVE; anyone who can "
                 "connect can drive these envs (see --curve-secret)",
                 server_endpoint(s));
    log_info("env serve: %d env%s of %s on %s%s; SIGINT/SIGTERM stop", so.envs,
             so.envs > 1 ? "s" : "", config, server_endpoint(s),
             secret_path ? ", CURVE with authorised keys" : "");
    printf("endpoint %s\n", server_endpoint(s));
    fflush(stdout);
    err = server_run(s, &stop_flag);
    server_stats st;
    server_get_stats(s, &st);
    log_info("env serve: stopped after %llu requests (%llu errors), %llu decisions%s",
             (unsigned long long)st.requests, (unsigned long long)st.errors,
             (unsigned long long)st.decisions, atomic_load(&stop_flag) ? " (signal)" : "");
cleanup:
    server_close(s);
    free(keys);
    memset(secret, 0, sizeof secret);
    return err ? args_fail(err) : 0;
}

static int env_keygen_main(int argc, char **argv)
{
    const char *prefix = NULL;
    int force = 0;
    const args_opt opts[] = {ARGS_OPT_STR("out", 'o', &prefix),
                             ARGS_OPT_FLAG("force", 'f', &force)};
    int found = args_parse("env keygen", argc, argv, opts, ARGS_COUNT(opts));
    if (found) return args_usage(env_usage, found);
    if (!prefix || !*prefix || optind != argc) {
        fprintf(stderr, "env keygen: --out PREFIX is required\n");
        return 2;
    }
    char pub[CURVE_KEY_Z85];
    int err = curve_keygen(prefix, force, pub);
    if (err) return args_fail(err);
    printf("wrote %s.key (secret, mode 0600) and %s.pub\npublic key %s\n", prefix, prefix, pub);
    return 0;
}

int verb_env(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        env_usage(stdout);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "spaces") &&
        (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        env_usage(stdout);
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "spaces")) return env_spaces_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "serve")) return env_serve_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "keygen")) return env_keygen_main(argc - 1, argv + 1);
    env_usage(stderr);
    return 2;
}
