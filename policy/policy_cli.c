/* policy_cli.c: `kisim policy inspect FILE`: what a checkpoint holds, with its checks. */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "policy/ckpt.h"
#include "policy/verbs.h"

static void policy_usage(FILE *out)
{
    fprintf(out,
            "usage: kisim policy inspect FILE\n\n"
            "Verifies a checkpoint (structure, crc32, feature order) and prints its model kind,\n"
            "tensors with shapes, parameter count and metadata.\n");
}

int verb_policy(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        policy_usage(stdout);
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "inspect") != 0) {
        policy_usage(stderr);
        return 2;
    }
    ckpt c;
    int err = ckpt_read(&c, argv[2], NULL);
    if (err) {
        fprintf(stderr, "%s\n", kisim_errmsg());
        return kisim_exit_code(err);
    }
    size_t params = 0, state = 0;
    printf("file:        %s\nmodel_kind:  %s\nkisim_format: %s\ncrc32:       %s (verified)\n",
           argv[2], c.model_kind, CKPT_FORMAT, c.crc32);
    printf("tensors:\n");
    for (int i = 0; i < c.n; i++) {
        const ckpt_tensor *t = &c.t[i];
        size_t count = t->nbytes / ckpt_dtype_size(t->dtype);
        int is_param = t->dtype == CKPT_F32 && strncmp(t->name, "train.", 6) != 0;
        if (is_param)
            params += count;
        else
            state += count;
        printf("  %-32s %-4s [", t->name, ckpt_dtype_name(t->dtype));
        for (int d = 0; d < t->ndim; d++)
            printf("%s%lld", d ? ", " : "", (long long)t->shape[d]);
        printf("]%s\n", is_param ? "" : "  (state)");
    }
    printf("parameters:  %zu\nother values: %zu (normalisation statistics, training state)\n",
           params, state);
    printf("features:    %s\nhyperparameters: %s\nfeature_stats: %s\n", c.features,
           c.hyperparameters, c.feature_stats);
    ckpt_free(&c);
    return 0;
}
