# env/local/: real processes in CPU-quota cgroups, loaded by Locust (env/LOCAL.md).
kisim_component(env_local DIR env/local
  SOURCES local.c local_cgroup.c local_pods.c local_telemetry.c local_service.c
  DEPS kisim_env_core kisim_loadgen kisim_telemetry kisim_cgroup)
