/* verbs.h: the kisim verbs bpf provides (cli/kisim.c and cli/bench.c dispatch them). Each takes
 * the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage or input. */
#ifndef KISIM_BPF_VERBS_H
#define KISIM_BPF_VERBS_H

int verb_collect(int argc, char **argv);       /* collect_cli.c: the telemetry collector */
int bench_collect_main(int argc, char **argv); /* bench_collect.c: its cost (root) */

#endif
