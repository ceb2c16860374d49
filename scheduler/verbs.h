/* verbs.h: the kisim verbs scheduler provides (cli/kisim.c and cli/bench.c dispatch them). Each
 * takes the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success, 1
 * failure, 2 bad usage or input. */
#ifndef KISIM_SCHEDULER_VERBS_H
#define KISIM_SCHEDULER_VERBS_H

int verb_score(int argc, char **argv);          /* score_cli.c: score serve */
int verb_rebalance(int argc, char **argv);      /* score_cli.c: pods worth moving */
int verb_telemetry(int argc, char **argv);      /* score_cli.c: telemetry replay|record */
int bench_extender_main(int argc, char **argv); /* extender_bench.c: wrk against prioritize */
int bench_service_main(int argc, char **argv);  /* score_bench.c: BatchScore latency per link */

#endif
