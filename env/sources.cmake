# env/: the Gym-style API over the backends (env_init picks one), the vector env, `bench env`.
kisim_component(env DIR env SOURCES env.c vecenv.c bench_env.c
  DEPS kisim_env_sim kisim_env_local kisim_env_baselines)
