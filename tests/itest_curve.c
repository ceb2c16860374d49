/* itest_curve.c: CURVE on the env server: key files as written by keygen (modes, format,
 * public key derivable from the secret, no overwrite without force), an authorised client
 * served, an unknown key and a plain client refused, each named by endpoint, and the server
 * still serving the authorised client after the refusals. */
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/config.h"
#include "common/log.h"
#include "env/remote/client.h"
#include "test.h"
#include "transport/keys.h"
#include "zmq_test.h"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void test_keygen_files(void)
{
    char prefix[300], key[320], pub[320];
    path_of(prefix, sizeof prefix, "server");
    snprintf(key, sizeof key, "%s.key", prefix);
    snprintf(pub, sizeof pub, "%s.pub", prefix);
    char z_pub[CURVE_KEY_Z85], z_sec[CURVE_KEY_Z85], z_pub2[CURVE_KEY_Z85], z_read[CURVE_KEY_Z85];
    mode_t old = umask(0); /* a permissive umask must not make the secret readable */
    CHECK(curve_keygen(prefix, 0, z_pub) == 0);
    umask(old);
    struct stat st;
    CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(pub, &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK(curve_read_key(key, z_sec) == 0 && strlen(z_sec) == 40);
    CHECK(curve_read_key(pub, z_read) == 0 && !strcmp(z_read, z_pub));
    CHECK(curve_public_of(z_sec, z_pub2) == 0 && !strcmp(z_pub2, z_pub));
    CHECK(strcmp(z_sec, z_pub) != 0);
    /* No replacing a secret key by accident; with force, a new pair. */
    CHECK(curve_keygen(prefix, 0, NULL) == KISIM_EUSAGE);
    CHECK_STR_CONTAINS(kisim_errmsg(), "refusing to replace");
    CHECK(curve_keygen(prefix, 1, z_pub2) == 0 && strcmp(z_pub2, z_pub) != 0);
    /* No temporary files left. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", dir);
    CHECK(system(cmd) != 0);
    /* Bad key files are named with their line. */
    char bad[320];
    path_of(bad, sizeof bad, "bad.pub");
    FILE *f = fopen(bad, "w");
    fprintf(f, "# comment\n\nnot-a-key\n");
    fclose(f);
    CHECK(curve_read_key(bad, z_read) == KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "bad.pub:3: expected a 40-character Z85");
    uint8_t(*keys)[32] = NULL;
    int n = 0;
    CHECK(curve_read_authorized(bad, &keys, &n) == KISIM_EINPUT && keys == NULL);
    path_of(bad, sizeof bad, "missing.pub");
    CHECK(curve_read_key(bad, z_read) == KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "cannot read");
}

static void test_authorised_and_refused(void)
{
    char sp[300], cp[300], xp[300], auth[300], path[320];
    path_of(sp, sizeof sp, "srv");
    path_of(cp, sizeof cp, "client");
    path_of(xp, sizeof xp, "stranger");
    path_of(auth, sizeof auth, "authorized_keys");
    char srv_pub[CURVE_KEY_Z85], cli_pub[CURVE_KEY_Z85], x_pub[CURVE_KEY_Z85];
    char srv_sec[CURVE_KEY_Z85], cli_sec[CURVE_KEY_Z85], x_sec[CURVE_KEY_Z85];
    CHECK(curve_keygen(sp, 0, srv_pub) == 0 && curve_keygen(cp, 0, cli_pub) == 0 &&
          curve_keygen(xp, 0, x_pub) == 0);
    snprintf(path, sizeof path, "%s.key", sp);
    CHECK(curve_read_key(path, srv_sec) == 0);
    snprintf(path, sizeof path, "%s.key", cp);
    CHECK(curve_read_key(path, cli_sec) == 0);
    snprintf(path, sizeof path, "%s.key", xp);
    CHECK(curve_read_key(path, x_sec) == 0);
    /* The authorised list: the client's .pub file with a comment, as `cat *.pub` gives. */
    FILE *f = fopen(auth, "w");
    fprintf(f, "# who may connect\n%s laptop\n", cli_pub);
    fclose(f);
    uint8_t(*keys)[32] = NULL;
    int n = 0;
    CHECK(curve_read_authorized(auth, &keys, &n) == 0 && n == 1);

    kisim_config cfg;
    cfg_default(&cfg);
    srv_thread t;
    server_opts so = {.envs = 2,
                      .curve_secret = srv_sec,
                      .authorized = (const uint8_t(*)[32])keys,
                      .n_authorized = n};
    if (srv_start(&t, &cfg, &so)) {
        CHECK(0);
        free(keys);
        return;
    }
    free(keys); /* the server keeps its own copy */
    const char *ep = server_endpoint(t.s);
    kisim_client *c;
    client_opts good = {
        .timeout_ms = 5000, .server_key = srv_pub, .public_key = cli_pub, .secret_key = cli_sec};
    int err = client_open(&c, &ep, 1, &good);
    CHECK_MSG(err == 0, "authorised client: %s", kisim_errmsg());
    env_spaces s;
    if (!err) {
        client_get_spaces(c, &s);
        float *obs = malloc(2 * (size_t)s.obs_dim * 4);
        uint8_t *mask = malloc(2 * (size_t)s.mask_dim);
        CHECK(client_reset(c, 1, obs, mask) == 0);
        free(obs);
        free(mask);
    }

    /* An unknown key: refused, fast, naming the endpoint. */
    kisim_client *x = NULL;
    client_opts stranger = {
        .timeout_ms = 5000, .server_key = srv_pub, .public_key = x_pub, .secret_key = x_sec};
    double t0 = clock_mono_s();
    CHECK(client_open(&x, &ep, 1, &stranger) != 0 && x == NULL);
    CHECK_STR_CONTAINS(kisim_errmsg(), ep);
    CHECK_STR_CONTAINS(kisim_errmsg(), "refused this client's CURVE key");
    CHECK_MSG(clock_mono_s() - t0 < 4.0, "refusal took %.2f s", clock_mono_s() - t0);
    /* A client without CURVE gets nowhere either. */
    CHECK(client_open(&x, &ep, 1, &(client_opts){.timeout_ms = 1000}) != 0 && x == NULL);
    fprintf(stderr, "plain client: %s\n", kisim_errmsg());
    CHECK_STR_CONTAINS(kisim_errmsg(), ep);
    /* A client with the wrong server key cannot complete the handshake. */
    client_opts wrong = good;
    wrong.server_key = x_pub;
    CHECK(client_open(&x, &ep, 1, &wrong) != 0 && x == NULL);
    fprintf(stderr, "wrong server key: %s\n", kisim_errmsg());

    server_stats st;
    server_get_stats(t.s, &st);
    CHECK_MSG(st.zap_admitted >= 1 && st.zap_refused >= 1, "admitted %llu, refused %llu",
              (unsigned long long)st.zap_admitted, (unsigned long long)st.zap_refused);
    /* The authorised client is still served. */
    if (!err) {
        float *obs = malloc(2 * (size_t)s.obs_dim * 4);
        uint8_t *mask = malloc(2 * (size_t)s.mask_dim);
        CHECK(client_reset(c, 2, obs, mask) == 0);
        free(obs);
        free(mask);
        client_close(c);
    }
    srv_stop(&t);
}

int main(void)
{
    log_set_level(LOG_WARN);
    if (curve_available() != 0) SKIP("no-curve", "%s", kisim_errmsg());
    snprintf(dir, sizeof dir, "/tmp/kisim-itest-curve-%ld", (long)getpid());
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return 1;
    }
    RUN(test_keygen_files);
    RUN(test_authorised_and_refused);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_MAIN_END();
}
