/* verbs.h: the kisim verbs agent provides (cli/kisim.c and cli/bench.c dispatch them). Each takes
 * the arguments after the verb (argv[0] is its name) and returns the exit code: 0 success,
 * 1 failure, 2 bad usage or input. */
#ifndef KISIM_AGENT_VERBS_H
#define KISIM_AGENT_VERBS_H

int verb_eval(int argc, char **argv);            /* eval_cli.c */
int verb_train(int argc, char **argv);           /* train_cli.c */
int verb_dataset(int argc, char **argv);         /* fit_cli.c: shadow-mode scheduling events */
int verb_fit_scorer(int argc, char **argv);      /* fit_cli.c: train a supervised scorer */
int bench_ppo_main(int argc, char **argv);       /* bench_ppo.c: training steps per second */
int bench_attention_main(int argc, char **argv); /* bench_attention.c: learned-scorer latency */

#endif
