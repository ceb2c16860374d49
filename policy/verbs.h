/* verbs.h: the kisim verbs policy provides (cli/kisim.c and cli/bench.c dispatch them). Each takes
 * the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage or input. */
#ifndef KISIM_POLICY_VERBS_H
#define KISIM_POLICY_VERBS_H

int verb_policy(int argc, char **argv); /* policy_cli.c: policy inspect FILE */

#endif
