/* config_cli.c: `kisim config check|show FILE`, so a researcher can validate a scenario and see
 * every effective value (defaults filled, node types normalised) before spending a run on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_schema.h"
#include "common/err.h"
#include "common/verbs.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kisim config check FILE   validate FILE; print a one-line summary\n"
            "       kisim config show FILE    print FILE's effective config as JSON (every key,\n"
            "                                 defaults filled in, node types normalised)\n"
            "\n"
            "Unknown keys, wrong types and out-of-range values are errors naming the file and\n"
            "the JSON path. configs/README.md documents the keys. Exit codes: 0 valid, 2 invalid\n"
            "config or bad usage, 1 other failures.\n");
}

static int is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

int verb_config(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *sub = argv[1];
    int check = !strcmp(sub, "check"), show = !strcmp(sub, "show");
    if (!check && !show) {
        fprintf(stderr, "kisim config: unknown sub-command \"%s\"\n\n", sub);
        usage(stderr);
        return 2;
    }
    if (argc != 3 || argv[2][0] == '-') {
        if (argc < 3)
            fprintf(stderr, "kisim config %s: expected one FILE\n\n", sub);
        else if (argc > 3)
            fprintf(stderr, "kisim config %s: expected one FILE, got %d arguments\n\n", sub,
                    argc - 2);
        else
            fprintf(stderr, "kisim config %s: unknown option \"%s\"\n\n", sub, argv[2]);
        usage(stderr);
        return 2;
    }

    const char *path = argv[2];
    kisim_config *cfg = malloc(sizeof *cfg); /* ~14 KB of path buffers; keep it off the stack */
    if (!cfg) {
        fprintf(stderr, "kisim config: out of memory\n");
        return 1;
    }
    int rc = cfg_read(cfg, path);
    if (rc) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        free(cfg);
        return kisim_exit_code(rc);
    }
    int code = 0;
    if (check) {
        char horizon[40];
        schema_fmt_double(horizon, sizeof horizon, cfg->env.horizon_s);
        printf("%s: ok (%d nodes, pattern %s, horizon %ss)\n", path, cfg_node_count(cfg),
               cfg_pattern_names[cfg->load.pattern], horizon);
    } else {
        char *json = cfg_to_json(cfg);
        if (json)
            printf("%s\n", json);
        else {
            fprintf(stderr, "kisim config show: out of memory\n");
            code = 1;
        }
        free(json);
    }
    free(cfg);
    return code;
}
