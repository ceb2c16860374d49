# env/sim/: the embedded simulated cluster (env/MODEL.md).
kisim_component(env_sim DIR env/sim SOURCES sim.c sim_telemetry.c sim_service.c queue.c
  DEPS kisim_env_core kisim_loadgen)
