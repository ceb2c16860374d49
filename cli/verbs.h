/* verbs.h: the kisim CLI's verbs. Each lives in its component's folder, takes the arguments
 * after the verb (argv[0] is the verb's name) and returns the process exit code:
 * 0 success, 1 failure, 2 bad usage or input. */
#ifndef KISIM_VERBS_H
#define KISIM_VERBS_H

int verb_config(int argc, char **argv);     /* common/config_cli.c: config check|show FILE */
int verb_eval(int argc, char **argv);       /* agent/eval_cli.c */
int verb_train(int argc, char **argv);      /* agent/train_cli.c */
int verb_policy(int argc, char **argv);     /* policy/policy_cli.c: policy inspect FILE */
int verb_bench(int argc, char **argv);      /* cli/bench.c: bench WHAT */
int verb_env(int argc, char **argv);        /* env/env_cli.c: env spaces|serve|keygen */
int verb_collect(int argc, char **argv);    /* bpf/collect_cli.c: the telemetry collector */
int verb_dataset(int argc, char **argv);    /* agent/fit_cli.c: shadow-mode scheduling events */
int verb_fit_scorer(int argc, char **argv); /* agent/fit_cli.c: train a supervised scorer */
int verb_score(int argc, char **argv);      /* scheduler/score_cli.c: score serve */
int verb_rebalance(int argc, char **argv);  /* scheduler/score_cli.c: pods worth moving */
int verb_telemetry(int argc, char **argv);  /* scheduler/score_cli.c: telemetry replay|record */
int verb_load(int argc, char **argv);       /* loadgen/load_cli.c: a config's users(t) */
int verb_target(int argc, char **argv);     /* loadgen/target.c: the latency-sensitive service */

/* Benchmarks, dispatched by cli/bench.c; argv[0] is the benchmark's name. */
int bench_env_main(int argc, char **argv);      /* env/bench_env.c */
int bench_ppo_main(int argc, char **argv);      /* agent/bench_ppo.c */
int bench_zmq_main(int argc, char **argv);      /* env/bench_zmq.c */
int bench_scorer_main(int argc, char **argv);   /* policy/attention_bench.c */
int bench_collect_main(int argc, char **argv);  /* bpf/bench_collect.c (root) */
int bench_extender_main(int argc, char **argv); /* scheduler/extender_bench.c */
int bench_score_main(int argc, char **argv);    /* scheduler/score_bench.c */

#endif
