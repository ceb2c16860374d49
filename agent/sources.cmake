# agent/: the PPO learner, training, evaluation, the supervised scorers' datasets and training,
# their verbs and benchmarks.
kisim_component(agent DIR agent
  SOURCES eval.c ppo_envs.c ppo.c policy_actor.c train.c train_logs.c train_state.c dataset.c dataset_jsonl.c
          dataset_shard.c
          fit.c eval_cli.c train_cli.c bench_ppo.c fit_cli.c bench_attention.c
  DEPS kisim_env_remote kisim_env_cartpole kisim_policy)
