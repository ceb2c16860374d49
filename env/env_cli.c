/* env_cli.c: `kisim env`: the environment's own verbs. `spaces` prints the spaces description
 * of a config (shapes, offsets, feature table, names); the env-server issue adds `serve`. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/verbs.h"
#include "common/err.h"
#include "env/env.h"

static void env_usage(FILE *out)
{
    fprintf(out, "usage: kisim env spaces --config FILE\n\n"
                 "Prints the observation, action, mask and info layout of the config's env as\n"
                 "JSON: shapes, offsets into the flat observation, the feature table (name,\n"
                 "unit, normalisation range, source) and the names of the pod context, service\n"
                 "state and info entries.\n");
}

int verb_env(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        env_usage(stdout);
        return 0;
    }
    if (argc >= 3 && !strcmp(argv[1], "spaces") && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        env_usage(stdout);
        return 0;
    }
    if (argc != 4 || strcmp(argv[1], "spaces") != 0 || strcmp(argv[2], "--config") != 0) {
        env_usage(stderr);
        return 2;
    }
    kisim_config cfg;
    int err = cfg_read(&cfg, argv[3]);
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        return kisim_exit_code(err);
    }
    env_spaces sp;
    spaces_init(&sp, cfg.env.max_nodes, cfg.env.window);
    cJSON *d = spaces_describe(&sp);
    char *text = d ? cJSON_Print(d) : NULL;
    if (text) printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(d);
    return text ? 0 : 1;
}
