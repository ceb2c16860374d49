/* kisim.c: the one CLI. Dispatches `kisim VERB ...` to the verb's code in its component's
 * folder (cli/verbs.h). Exit codes: 0 success, 1 failure, 2 bad usage or input. */
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"
#include "common/provenance.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} verbs[] = {
    {"config", verb_config, "check or show a scenario configuration"},
    {"env", verb_env,
     "the environment: spaces (layout), serve (ZeroMQ env server), keygen (CURVE keys)"},
    {"train", verb_train, "train a PPO scheduling policy (or CartPole, to validate the learner)"},
    {"eval", verb_eval, "evaluate scorers over held-out episodes and compare them"},
    {"policy", verb_policy, "inspect a policy checkpoint"},
    {"bench", verb_bench, "benchmarks (bench env: decisions per second)"},
    {"collect", verb_collect, "the eBPF node telemetry collector (needs root)"},
    {"dataset", verb_dataset, "record shadow-mode scheduling events for the supervised scorers"},
    {"fit-scorer", verb_fit_scorer,
     "train a supervised scorer (attention, mlp, xgboost) on a dataset"},
    {"score", verb_score, "the scheduler scoring service (BatchScore, extender, telemetry store)"},
    {"rebalance", verb_rebalance, "ask a running scorer which pods to move off contended nodes"},
    {"telemetry", verb_telemetry, "replay or record telemetry frames"},
    {"load", verb_load, "print a config's load pattern: users at every whole second"},
    {"target", verb_target,
     "the latency-sensitive target service (HTTP; CPU and memory work per request)"},
};
#define N_VERBS ((int)(sizeof verbs / sizeof verbs[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: kisim [--help] [--version] VERB [ARGS]\n\n"
                 "KISim: a reinforcement-learning scheduling research environment for "
                 "Kubernetes.\n\nverbs:\n");
    for (int i = 0; i < N_VERBS; i++)
        fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(out, "\n`kisim VERB --help` describes a verb. Exit codes: 0 success, 1 failure, "
                 "2 bad usage or input.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("kisim %s (git %s)\n", kisim_version(), kisim_git_commit());
        return 0;
    }
    for (int i = 0; i < N_VERBS; i++)
        if (!strcmp(argv[1], verbs[i].name)) return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "kisim: unknown verb \"%s\"\n\n", argv[1]);
    usage(stderr);
    return 2;
}
