/* test_extender_match.c: how an ExtenderArgs with both NodeNames and Nodes.items gives the
 * candidates their details, and what that costs. kube-scheduler sends one or the other, so a body
 * with both is a crafted one: its cost must grow with its size, not with NodeNames x items (a
 * nested compare made 10,000 names x 100,000 items 3 s of CPU), and a body over the 4,096-node
 * limit must be refused before any matching. Expected details come from a naive double loop in
 * this file; the cost check compares CPU time per body byte with a small body of the same shape,
 * measured here too, so a loaded or sanitized build slows both alike. */
#include <time.h>

#include "common/err.h"
#include "scheduler/extender_json.h"
#include "scheduler/extender_verbs.h"
#include "scheduler/score.h"
#include "tests/test.h"

/* A growing string. */
typedef struct {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n + 1);
    t->len += n;
}

/* A body with NodeNames name(names[i]) and Nodes.items named name(items[j]) whose allocatable CPU
 * is j + 1 cores, so a candidate's alloc_cpu_m tells which item gave its details. */
static char *body(const int *names, int n_names, const int *items, int n_items, size_t *len)
{
    text t = {0};
    char s[96];
    put(&t, "{\"Pod\":{},\"NodeNames\":[");
    for (int i = 0; i < n_names; i++) {
        snprintf(s, sizeof s, "%s\"node-%06d\"", i ? "," : "", names[i]);
        put(&t, s);
    }
    put(&t, "],\"Nodes\":{\"items\":[");
    for (int j = 0; j < n_items; j++) {
        snprintf(s, sizeof s,
                 "%s{\"metadata\":{\"name\":\"node-%06d\"},\"status\":{\"allocatable\":"
                 "{\"cpu\":\"%d\"}}}",
                 j ? "," : "", items[j], j + 1);
        put(&t, s);
    }
    put(&t, "]}}");
    *len = t.len;
    return t.p;
}

/* Candidates in NodeNames order, each with the last item of its name (a later copy of a node
 * replaces an earlier one, as a map keyed by name would), or no details when no item has it. */
static void test_details_by_name(void)
{
    enum { N = 300, M = 500 };
    int names[N], items[M];
    for (int i = 0; i < N; i++)
        names[i] = (i * 7919) % 400; /* some repeat, some have no item */
    for (int j = 0; j < M; j++)
        items[j] = (j * 104729) % 450; /* some repeat, some are no candidate */
    size_t len;
    char *b = body(names, N, items, M, &len);
    extender_args a;
    CHECK_EQ_INT(extender_json_parse(&a, b, len), 0);
    CHECK_EQ_INT(a.n, N);
    for (int i = 0; i < a.n && i < N; i++) {
        int last = -1;
        for (int j = 0; j < M; j++)
            if (items[j] == names[i]) last = j;
        char want[32];
        snprintf(want, sizeof want, "node-%06d", names[i]);
        CHECK_MSG(!strcmp(a.nodes[i].name, want), "candidate %d is %s", i, a.nodes[i].name);
        long long cpu = last < 0 ? -1 : (last + 1) * 1000LL;
        CHECK_MSG(a.nodes[i].alloc_cpu_m == cpu, "candidate %d (%s): cpu %lld, want %lld", i, want,
                  (long long)a.nodes[i].alloc_cpu_m, cpu);
        CHECK((a.nodes[i].item != NULL) == (last >= 0));
    }
    extender_json_free(&a);
    free(b);
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The least CPU time of reps prioritize calls on body (the least is the one least disturbed),
 * and its HTTP status in *status. */
static double cost(score_service *svc, const char *b, size_t len, int reps, int *status)
{
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        char *out = NULL;
        size_t n;
        double t0 = cpu_s();
        extender_verbs_answer(svc, SCORE_VERB_PRIORITIZE, b, len, 0, status, &out, &n);
        double t = cpu_s() - t0;
        best = t < best ? t : best;
        free(out);
    }
    return best;
}

/* CPU per byte of the body built by names(i)/items(j) at full size against the same shape at
 * 1/scale; the expected HTTP status of the full one. A linear reader gives a ratio near 1 (cache
 * misses on the large tree and fixed costs on the small one move it by a small factor); the
 * nested compare gave 40 and more for every case here. */
static void check_linear(score_service *svc, const char *what, int n_names, int n_items, int scale,
                         int distinct, int want_status)
{
    double per_byte[2];
    int st = 0;
    for (int big = 0; big < 2; big++) {
        int nn = big ? n_names : n_names / scale, ni = big ? n_items : n_items / scale;
        int *names = malloc((size_t)nn * sizeof *names),
            *items = malloc((size_t)ni * sizeof *items);
        for (int i = 0; i < nn; i++)
            names[i] = distinct ? i : 0;
        for (int j = 0; j < ni; j++)
            items[j] = distinct ? ni - 1 - j : 0;
        size_t len;
        char *b = body(names, nn, items, ni, &len);
        per_byte[big] = cost(svc, b, len, big ? 3 : 30, &st) / (double)len;
        if (big)
            CHECK_MSG(st == want_status, "%s: HTTP %d, want %d", what, st, want_status);
        else
            CHECK_MSG(st == 200, "%s at 1/%d: HTTP %d", what, scale, st);
        free(b);
        free(items);
        free(names);
    }
    double ratio = per_byte[1] / per_byte[0];
    fprintf(stderr, "     %s: %.1f ns/byte, small %.1f ns/byte, ratio %.2f\n", what,
            per_byte[1] * 1e9, per_byte[0] * 1e9, ratio);
    CHECK_MSG(ratio < 10, "%s: CPU per byte %.1f times the small body's", what, ratio);
}

static score_service *g_svc;

/* Over the limit: refused, at the cost of reading the body, before any matching. */
static void test_over_limit_is_cheap(void)
{
    check_linear(g_svc, "10,000 names x 100,000 items", 10000, 100000, 1000, 1, 400);
}

/* Within the limit, distinct names and every one repeated: both linear. */
static void test_within_limit_is_linear(void)
{
    check_linear(g_svc, "4,096 names x 4,096 items", SCORE_MAX_NODES, SCORE_MAX_NODES, 64, 1, 200);
    check_linear(g_svc, "2,048 x the same name, 2,048 items of it", 2048, 2048, 32, 0, 200);
}

/* The error names the array and the limit. */
static void test_limit_messages(void)
{
    static const struct {
        int names, items;
        const char *needle;
    } cases[] = {{SCORE_MAX_NODES + 1, 0, "NodeNames: 4097 nodes, at most 4096"},
                 {1, SCORE_MAX_NODES + 1, "Nodes.items: 4097 nodes, at most 4096"},
                 {SCORE_MAX_NODES, SCORE_MAX_NODES, NULL}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int *idx = calloc(SCORE_MAX_NODES + 1, sizeof *idx);
        for (int i = 0; i <= SCORE_MAX_NODES; i++)
            idx[i] = i;
        size_t len;
        char *b = body(idx, cases[c].names, idx, cases[c].items, &len);
        extender_args a;
        int rc = extender_json_parse(&a, b, len);
        if (cases[c].needle) {
            CHECK_EQ_INT(rc, KISIM_EINPUT);
            CHECK_STR_CONTAINS(kisim_errmsg(), cases[c].needle);
        } else {
            CHECK_MSG(rc == 0 && a.n == SCORE_MAX_NODES, "rc %d: %s", rc, kisim_errmsg());
        }
        extender_json_free(&a);
        free(b);
        free(idx);
    }
}

int main(void)
{
    score_opts so = {0};
    if (score_service_open(&g_svc, &so)) {
        fprintf(stderr, "score_service_open: %s\n", kisim_errmsg());
        return 1;
    }
    RUN(test_details_by_name);
    RUN(test_limit_messages);
    RUN(test_over_limit_is_cheap);
    RUN(test_within_limit_is_linear);
    score_service_close(g_svc);
    TEST_MAIN_END();
}
