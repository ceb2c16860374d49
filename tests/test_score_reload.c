/* test_score_reload.c: reloading the model files (what SIGHUP does): a good new file replaces
 * the running model (its version changes to the new file's crc32); a broken file leaves the
 * running model in place, says which file and why, and the service keeps answering with it. */
#include "common/err.h"
#include "policy/ckpt.h"
#include "score_test.h"
#include "test.h"

static st_files fx;

static void version_of(score_service *s, score_link l, char *out)
{
    score_stats st;
    score_service_stats(s, &st);
    snprintf(out, SCORE_VERSION_MAX, "%s", st.version[l]);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s %s.tmp && mv %s.tmp %s", from, to, to, to);
    CHECK(system(cmd) == 0);
}

static void test_reload(void)
{
    char live[160], other[160], v1[SCORE_VERSION_MAX], v2[SCORE_VERSION_MAX], v3[SCORE_VERSION_MAX];
    snprintf(live, sizeof live, "%s/live.safetensors", fx.dir);
    snprintf(other, sizeof other, "%s/other.safetensors", fx.dir);
    copy_file(fx.ppo, live);
    CHECK_EQ_INT(score_fixture_ppo(other, 32, 99, NULL), 0); /* other weights: another crc */
    score_opts o = {.policy_path = live, .fallback_path = fx.att, .budget_ms = 5000};
    score_service *s;
    CHECK_EQ_INT(score_service_open(&s, &o), 0);
    version_of(s, SCORE_LINK_PPO, v1);
    CHECK(!strncmp(v1, "live.safetensors@", 17));

    copy_file(other, live);
    CHECK_EQ_INT(score_service_reload(s), 0);
    version_of(s, SCORE_LINK_PPO, v2);
    ckpt c;
    memset(&c, 0, sizeof c);
    CHECK_EQ_INT(ckpt_read(&c, other, NULL), 0);
    char want[64];
    snprintf(want, sizeof want, "live.safetensors@%s", c.crc32);
    ckpt_free(&c);
    CHECK_MSG(!strcmp(v2, want) && strcmp(v1, v2), "%s -> %s, want %s", v1, v2, want);

    copy_file(fx.bad, live); /* broken: keeps the running model */
    int err = score_service_reload(s);
    CHECK_EQ_INT(err, KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "live.safetensors");
    version_of(s, SCORE_LINK_PPO, v3);
    CHECK(!strcmp(v3, v2));
    st_request r;
    st_request_init(&r, 5, 2);
    score_reply rep;
    CHECK_EQ_INT(score_service_score(s, &r.req, &rep), 0);
    CHECK_EQ_INT(rep.link, SCORE_LINK_PPO);
    CHECK(!strcmp(rep.version, v2));
    score_reply_free(&rep);
    score_stats st;
    score_service_stats(s, &st);
    CHECK_EQ_INT(st.reloads_ok, 3); /* ppo + attention, then attention alone */
    CHECK_EQ_INT(st.reloads_failed, 1);

    /* A missing file too. */
    unlink(live);
    CHECK(score_service_reload(s) != 0);
    version_of(s, SCORE_LINK_PPO, v3);
    CHECK(!strcmp(v3, v2));
    score_service_close(s);
}

int main(void)
{
    if (st_begin(&fx)) return 1;
    RUN(test_reload);
    st_remove_files(&fx);
    TEST_MAIN_END();
}
