# agent/: learners and evaluation.
set(KISIM_AGENT_SOURCES
  agent/eval.c
  agent/ppo_envs.c
  agent/ppo.c
  agent/policy_actor.c
)
set(KISIM_AGENT_CLI_SOURCES agent/eval_cli.c)
set(KISIM_AGENT_LIBS)
