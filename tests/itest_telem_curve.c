/* itest_telem_curve.c: the telemetry SUB as a CURVE server with a collectors file. Node A's key
 * publishing A's frames is stored; the same key publishing node B's frames is refused and
 * counted wrong_node; a key not in the file is refused at the handshake (counted) and none of
 * its frames arrive; a publisher without CURVE gets nothing in either. Replays run as the
 * collectors would, through telem_replay with client keys. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "common/clock.h"
#include "common/err.h"
#include "skip.h"
#include "telemetry/auth.h"
#include "telemetry/replay.h"
#include "telemetry/store.h"
#include "test.h"

static char dir[64];
static char srv_pub[41], srv_sec[41], a_pub[41], a_sec[41], c_pub[41], c_sec[41];

/* One frame of `node` in a recording file; returns its path. */
static const char *recording(const char *node)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s.jsonl", dir, node);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"v\":1,\"node\":\"%s\",\"ts_ms\":0,\"features\":[1,null,null,null,null,null,null,"
            "null,null,null,null,null,null,null,null],\"available\":[1,0,0,0,0,0,0,0,0,0,0,0,0,0,"
            "0]}\n",
            node);
    fclose(f);
    return path;
}

static void replay(const char *endpoint, const char *node, const char *sec)
{
    telem_recording r;
    CHECK_EQ_INT(telem_recording_read(&r, recording(node)), 0);
    telem_replay_opts o = {.connect = endpoint, .loops = 3, .rate = 20, .wait_ms = 300};
    if (sec) o.curve_secret = sec, o.curve_server = srv_pub;
    atomic_int stop = 0;
    long sent = 0;
    CHECK_EQ_INT(telem_replay(&r, &o, &stop, &sent), 0);
    telem_recording_free(&r);
    usleep(300000); /* the receiver thread takes them in */
}

static void test_bound_keys(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/collectors", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "# collector keys and their nodes\n%s node-a\n", a_pub);
    fclose(f);
    telem_auth *auth;
    CHECK_EQ_INT(telem_auth_read(&auth, path), 0);
    telem_store *st;
    CHECK_EQ_INT(telem_store_open(&st, 2, 10000, NULL, NULL), 0);
    CHECK_EQ_INT(telem_store_curve(st, srv_sec, auth), 0);
    char ep[128];
    snprintf(ep, sizeof ep, "ipc://%s/tele.sock", dir);
    CHECK_EQ_INT(telem_store_listen(st, ep, NULL, 0), 0);
    float win[2 * KISIM_F];
    uint8_t avail[KISIM_F];
    telem_store_tally t;

    replay(ep, "node-a", a_sec); /* the right key */
    CHECK_EQ_INT(telem_store_get(st, "node-a", win, avail, NULL), TELEM_FRESH);
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT((long)t.frames_ok, 3);

    replay(ep, "node-b", a_sec); /* A's key, B's frames */
    CHECK_EQ_INT(telem_store_get(st, "node-b", win, avail, NULL), TELEM_UNKNOWN);
    telem_store_tally_get(st, &t);
    CHECK_EQ_INT((long)t.refused[TELEM_REFUSED_WRONG_NODE], 3);

    replay(ep, "node-c", c_sec); /* a key not in the file */
    replay(ep, "node-a", NULL);  /* no CURVE at all */
    CHECK_EQ_INT(telem_store_get(st, "node-c", win, avail, NULL), TELEM_UNKNOWN);
    telem_store_tally_get(st, &t);
    CHECK(t.keys_refused >= 1);
    CHECK_EQ_INT((long)t.frames_ok, 3);
    telem_store_close(st);
}

static void test_collectors_file_errors(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/bad", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s node-a\n%s\n", a_pub, a_pub);
    fclose(f);
    telem_auth *auth = NULL;
    CHECK_EQ_INT(telem_auth_read(&auth, path), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "/bad:2: expected `PUBKEY NODE`");
    f = fopen(path, "w");
    fprintf(f, "%s bad\"name\n", a_pub);
    fclose(f);
    CHECK_EQ_INT(telem_auth_read(&auth, path), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "/bad:1: the node name");
    CHECK_EQ_INT(telem_auth_read(&auth, "/nonexistent/collectors"), KISIM_EIO);
    CHECK_STR_CONTAINS(kisim_errmsg(), "/nonexistent/collectors");
}

int main(void)
{
    if (!zmq_has("curve")) SKIP("no-curve", "this libzmq was built without CURVE");
    snprintf(dir, sizeof dir, "/tmp/kisim-telem-curve.XXXXXX");
    if (!mkdtemp(dir)) return 1;
    zmq_curve_keypair(srv_pub, srv_sec);
    zmq_curve_keypair(a_pub, a_sec);
    zmq_curve_keypair(c_pub, c_sec);
    RUN(test_bound_keys);
    RUN(test_collectors_file_errors);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_MAIN_END();
}
