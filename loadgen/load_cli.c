/* load_cli.c: `kisim load CONFIG`, a config's load pattern second by second (loadgen/load.h), so a
 * researcher sees the load a scenario offers and tests can compare the C patterns with the
 * Locust shapes of loadgen/locustfile.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli_args.h"
#include "common/config.h"
#include "common/err.h"
#include "loadgen/load.h"
#include "loadgen/verbs.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kisim load CONFIG [--from T0] [--to T1]\n"
            "\n"
            "Prints CONFIG's load pattern (the `load` block) as CSV, one line per whole second\n"
            "t from T0 (default 0) to T1 inclusive (default env.horizon_s): time_s,users,rate_rps\n"
            "where users is the pattern's level rounded half up and rate_rps = users *\n"
            "load.rate_per_user. The Locust shapes in loadgen/locustfile.py give the same users.\n"
            "Exit codes: 0 success, 2 bad usage or config, 1 other failures.\n");
}

int verb_load(int argc, char **argv)
{
    const char *path = NULL;
    long from = 0, to = -1;
    int err = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if ((!strcmp(a, "--from") || !strcmp(a, "--to")) && i + 1 < argc) {
            err = args_int("kisim load", a, argv[++i], 0, 1000000000L, a[2] == 'f' ? &from : &to);
            if (err) break;
        } else if (a[0] == '-' || path) {
            err = kisim_seterr(KISIM_EUSAGE, "kisim load: %s \"%s\"",
                               a[0] == '-' ? "unknown option (or missing value)"
                                           : "expected one CONFIG, got another argument",
                               a);
            break;
        } else {
            path = a;
        }
    }
    if (!err && !path) err = kisim_seterr(KISIM_EUSAGE, "kisim load: expected a CONFIG");
    if (err) {
        fprintf(stderr, "%s\n\n", kisim_errmsg());
        usage(stderr);
        return 2;
    }

    kisim_config *cfg = malloc(sizeof *cfg); /* path buffers: keep it off the stack */
    load_pattern lp = {0};
    if (!cfg) {
        fprintf(stderr, "kisim load: out of memory\n");
        return 1;
    }
    if ((err = cfg_read(cfg, path)) < 0 || (err = load_init(&lp, &cfg->load)) < 0) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        goto cleanup;
    }
    if (to < 0) to = (long)cfg->env.horizon_s;
    if (to < from) {
        err = kisim_seterr(KISIM_EUSAGE, "kisim load: --to %ld is before --from %ld", to, from);
        fprintf(stderr, "%s\n", kisim_errmsg());
        goto cleanup;
    }
    printf("time_s,users,rate_rps\n");
    for (long t = from; t <= to; t++)
        printf("%ld,%d,%.17g\n", t, load_users(&lp, t), load_rate(&lp, t));
    if (fflush(stdout) != 0) err = kisim_seterr(KISIM_EIO, "kisim load: cannot write the output");
cleanup:
    load_free(&lp);
    free(cfg);
    return kisim_exit_code(err);
}
