/* verbs.h: the kisim verbs common provides (cli/kisim.c and cli/bench.c dispatch them). Each takes
 * the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage or input. */
#ifndef KISIM_COMMON_VERBS_H
#define KISIM_COMMON_VERBS_H

int verb_config(int argc, char **argv); /* config_cli.c: config check|show FILE */

#endif
