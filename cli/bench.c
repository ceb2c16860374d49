/* bench.c: `kisim bench WHAT`: dispatches to each component's benchmark program. Benchmarks
 * print numbers for BENCHMARKS.md; they assert nothing. */
#include <stdio.h>
#include <string.h>

#include "cli/verbs.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} benches[] = {
    {"env", bench_env_main, "decisions per second of the sim backend, in-process"},
    {"ppo", bench_ppo_main, "PPO training steps per second (CartPole, quickstart sim)"},
    {"zmq", bench_zmq_main, "decisions per second through the env server (C and Python clients)"},
    {"attention", bench_attention_main,
     "learned scorers' inference latency (attention fp32/int8) at 10/100/1000 nodes"},
    {"collect", bench_collect_main, "the telemetry collector's CPU and BPF cost under load (root)"},
    {"extender", bench_extender_main, "wrk against the scheduler extender's prioritize (PPO link)"},
    {"service", bench_service_main, "BatchScore latency through each link of the scoring service"},
};
#define N_BENCHES ((int)(sizeof benches / sizeof benches[0]))

/* Spellings before the layout of docs/ARCHITECTURE.md: refused, naming the new verb ("scorer" and
 * "score" differed by one letter and named different things). */
static const struct {
    const char *old, *now;
} renamed[] = {{"scorer", "attention"}, {"score", "service"}};

static void bench_usage(FILE *out)
{
    fprintf(out, "usage: kisim bench WHAT [OPTIONS]   (kisim bench WHAT --help for options)\n\n");
    for (int i = 0; i < N_BENCHES; i++)
        fprintf(out, "  %-9s %s\n", benches[i].name, benches[i].summary);
}

int verb_bench(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        bench_usage(stdout);
        return 0;
    }
    for (int i = 0; argc >= 2 && i < N_BENCHES; i++)
        if (!strcmp(argv[1], benches[i].name)) return benches[i].run(argc - 1, argv + 1);
    for (int i = 0; argc >= 2 && i < (int)(sizeof renamed / sizeof renamed[0]); i++)
        if (!strcmp(argv[1], renamed[i].old)) {
            fprintf(stderr, "kisim bench: \"%s\" is now \"kisim bench %s\"\n", renamed[i].old,
                    renamed[i].now);
            return 2;
        }
    if (argc >= 2) fprintf(stderr, "kisim bench: unknown benchmark \"%s\"\n\n", argv[1]);
    bench_usage(stderr);
    return 2;
}
