# agent/: learners and evaluation.
set(KISIM_AGENT_SOURCES
  agent/eval.c
  agent/ppo_envs.c
  agent/ppo.c
  agent/policy_actor.c
  agent/train.c
  agent/train_state.c
  agent/dataset.c
  agent/dataset_shard.c
  agent/fit.c
)
set(KISIM_AGENT_CLI_SOURCES agent/eval_cli.c agent/train_cli.c agent/bench_ppo.c agent/fit_cli.c)
set(KISIM_AGENT_LIBS)
