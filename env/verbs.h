/* verbs.h: the kisim verbs env provides (cli/kisim.c and cli/bench.c dispatch them). Each takes
 * the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage or input. */
#ifndef KISIM_ENV_VERBS_H
#define KISIM_ENV_VERBS_H

int bench_env_main(int argc, char **argv); /* bench_env.c: decisions per second */

#endif
