/* verbs.h: the kisim verbs env/remote provides (cli/kisim.c and cli/bench.c dispatch them). Each
 * takes the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success, 1
 * failure, 2 bad usage or input. */
#ifndef KISIM_ENV_REMOTE_VERBS_H
#define KISIM_ENV_REMOTE_VERBS_H

int verb_env(int argc, char **argv);       /* env_cli.c: env spaces|serve|keygen */
int bench_zmq_main(int argc, char **argv); /* bench_zmq.c: decisions/s through the server */

#endif
