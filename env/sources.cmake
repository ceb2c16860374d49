# env/: the cluster model, backends, spaces, load patterns, baselines, vector env.
set(KISIM_ENV_SOURCES
  env/spaces.c
  env/load.c
  env/queue.c
  env/sim.c
  env/sim_telemetry.c
  env/sim_service.c
  env/env.c
  env/vecenv.c
  env/scorer.c
  env/scorer_k8s.c
  env/scorer_oracle.c
  env/hpa.c
  env/cartpole.c
)
set(KISIM_ENV_CLI_SOURCES env/bench_env.c env/env_cli.c)
set(KISIM_ENV_LIBS)
