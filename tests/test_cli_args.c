/* test_cli_args.c: a verb's option table (common/cli_args.h): every kind of value lands where its
 * row says, by long name, --name=value, an abbreviation or the letter; a value out of range is a
 * usage error (exit code 2) whose message names the verb, the option, the range and the text;
 * --help, an unknown option, an ambiguous abbreviation and a missing value are told apart; and
 * parsing stops at the first problem. */
#include "common/cli_args.h"

#include "common/err.h"
#include "test.h"

typedef struct {
    long runs;
    int workers, json;
    double seconds;
    uint64_t seed;
    int seed_given;
    const char *name;
    char called[32];
} fixture;

/* ARGS_CALL: keeps the value, refuses "bad" with a message of its own. */
static int keep(void *ctx, const char *value)
{
    fixture *f = ctx;
    if (!strcmp(value, "bad")) return kisim_seterr(KISIM_EUSAGE, "t: --call: not \"bad\"");
    snprintf(f->called, sizeof f->called, "%s", value);
    return 0;
}

/* Parses the NULL-terminated words (the verb's name first) into f, from the defaults. */
static int parse(fixture *f, const char **words)
{
    static char *argv[16];
    int argc = 0;
    while (words[argc]) {
        argv[argc] = (char *)words[argc];
        argc++;
    }
    *f = (fixture){.runs = 5, .workers = 2, .seconds = 1, .seed = 7, .name = "default"};
    const args_opt opts[] = {
        ARGS_OPT_LONG("runs", 'r', &f->runs, 1, 1000),
        ARGS_OPT_INT("workers", 0, &f->workers, 1, 16),
        ARGS_OPT_DOUBLE("seconds", 's', &f->seconds, 0.5, 60),
        {.name = "seed", .kind = ARGS_U64, .to.u64 = &f->seed, .given = &f->seed_given},
        ARGS_OPT_STR("name", 'n', &f->name),
        ARGS_OPT_FLAG("json", 'j', &f->json),
        ARGS_OPT_CALL("call", 0, keep, f),
        ARGS_OPT_LONG("runs-max", 0, &f->runs, 1, 2), /* shares the prefix "runs" */
    };
    opterr = 0; /* getopt_long's own complaints are not what is tested */
    return args_parse("t", argc, argv, opts, ARGS_COUNT(opts));
}

static void test_values_land(void)
{
    fixture f;
    const char *w[] = {"t",      "--runs", "7",  "--workers=16", "--sec", "2.5", "--seed", "0",
                       "--name", "x",      "-j", "--call",       "v",     "op",  NULL};
    CHECK_EQ_INT(parse(&f, w), 0);
    CHECK_EQ_INT(f.runs, 7);
    CHECK_EQ_INT(f.workers, 16);
    CHECK_NEAR(f.seconds, 2.5, 0);
    CHECK_EQ_INT(f.seed, 0);
    CHECK_EQ_INT(f.seed_given, 1);
    CHECK(!strcmp(f.name, "x"));
    CHECK_EQ_INT(f.json, 1);
    CHECK(!strcmp(f.called, "v"));
    CHECK_EQ_INT(optind, 13); /* "op", the one operand */
}

static void test_defaults_stay(void)
{
    fixture f;
    const char *w[] = {"t", "-r", "3", "-s", "60", NULL};
    CHECK_EQ_INT(parse(&f, w), 0);
    CHECK_EQ_INT(f.runs, 3);
    CHECK_NEAR(f.seconds, 60, 0);
    CHECK_EQ_INT(f.workers, 2);
    CHECK_EQ_INT(f.seed, 7);
    CHECK_EQ_INT(f.seed_given, 0);
    CHECK(!strcmp(f.name, "default"));
    CHECK_EQ_INT(f.json, 0);
    CHECK_EQ_INT(optind, 5);
}

static void test_out_of_range(void)
{
    fixture f;
    const char *w[] = {"t", "--workers", "17", NULL};
    int err = parse(&f, w);
    CHECK_EQ_INT(err, KISIM_EUSAGE);
    CHECK_EQ_INT(kisim_exit_code(err), 2);
    CHECK(!strcmp(kisim_errmsg(), "t: --workers: expected an integer in [1, 16], got \"17\""));
    CHECK_EQ_INT(f.workers, 2); /* not stored */
    const char *d[] = {"t", "--seconds=0.4", NULL};
    CHECK_EQ_INT(parse(&f, d), KISIM_EUSAGE);
    CHECK(!strcmp(kisim_errmsg(), "t: --seconds: expected a number in [0.5, 60], got \"0.4\""));
    const char *u[] = {"t", "--seed", "-1", NULL};
    CHECK_EQ_INT(parse(&f, u), KISIM_EUSAGE);
    CHECK(!strcmp(kisim_errmsg(), "t: --seed: expected a non-negative integer, got \"-1\""));
    const char *c[] = {"t", "--call", "bad", NULL};
    CHECK_EQ_INT(parse(&f, c), KISIM_EUSAGE);
    CHECK(!strcmp(kisim_errmsg(), "t: --call: not \"bad\""));
}

static void test_stops_at_first_problem(void)
{
    fixture f;
    const char *w[] = {"t", "--runs", "0", "--workers", "3", "--help", NULL};
    CHECK_EQ_INT(parse(&f, w), KISIM_EUSAGE);
    CHECK_STR_CONTAINS(kisim_errmsg(), "--runs");
    CHECK_EQ_INT(f.workers, 2);
}

static void test_help_and_unknown(void)
{
    fixture f;
    const char *h[] = {"t", "--runs", "4", "--help", "--runs", "0", NULL};
    CHECK_EQ_INT(parse(&f, h), ARGS_HELP);
    const char *hh[] = {"t", "-h", NULL};
    CHECK_EQ_INT(parse(&f, hh), ARGS_HELP);
    const char *x[] = {"t", "--frob", NULL};
    CHECK_EQ_INT(parse(&f, x), ARGS_UNKNOWN);
    const char *amb[] = {"t", "--run", "3", NULL}; /* runs or runs-max */
    CHECK_EQ_INT(parse(&f, amb), ARGS_UNKNOWN);
    const char *missing[] = {"t", "--runs", NULL};
    CHECK_EQ_INT(parse(&f, missing), ARGS_UNKNOWN);
    const char *letter[] = {"t", "-w", "3", NULL}; /* workers has no letter */
    CHECK_EQ_INT(parse(&f, letter), ARGS_UNKNOWN);
}

static FILE *usage_got;
static void usage(FILE *out)
{
    usage_got = out;
}

static void test_usage_and_fail(void)
{
    CHECK_EQ_INT(args_usage(usage, ARGS_HELP), 0);
    CHECK(usage_got == stdout);
    CHECK_EQ_INT(args_usage(usage, ARGS_UNKNOWN), 2);
    CHECK(usage_got == stderr);
    CHECK_EQ_INT(args_fail(kisim_seterr(KISIM_EUSAGE, "t: a usage error")), 2);
    CHECK_EQ_INT(args_fail(kisim_seterr(KISIM_EIO, "t: an I/O error")), 1);
}

int main(void)
{
    RUN(test_values_land);
    RUN(test_defaults_stay);
    RUN(test_out_of_range);
    RUN(test_stops_at_first_problem);
    RUN(test_help_and_unknown);
    RUN(test_usage_and_fail);
    TEST_MAIN_END();
}
