/* verbs.h: the kisim verbs loadgen provides (cli/kisim.c and cli/bench.c dispatch them). Each takes
 * the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage or input. */
#ifndef KISIM_LOADGEN_VERBS_H
#define KISIM_LOADGEN_VERBS_H

int verb_load(int argc, char **argv);   /* load_cli.c: a config's users(t) */
int verb_target(int argc, char **argv); /* target.c: the latency-sensitive service */

#endif
