# env/: the cluster model, backends, spaces, load patterns, baselines, vector env, and the
# ZeroMQ env server and C client (libzmq; zlib for the benchmark's trajectory CRC-32).
pkg_check_modules(ZMQ REQUIRED IMPORTED_TARGET libzmq)
pkg_check_modules(ENV_ZLIB REQUIRED IMPORTED_TARGET zlib)
set(KISIM_ENV_SOURCES
  env/spaces.c
  env/load.c
  env/queue.c
  env/sim.c
  env/sim_telemetry.c
  env/sim_service.c
  env/reward.c
  env/obs.c
  env/action.c
  env/decision.c
  env/local_cgroup.c
  env/local.c
  env/local_pods.c
  env/local_telemetry.c
  env/local_service.c
  env/env.c
  env/vecenv.c
  env/scorer.c
  env/scorer_k8s.c
  env/scorer_oracle.c
  env/hpa.c
  env/cartpole.c
  env/proto.c
  env/curve.c
  env/zrouter.c
  env/server.c
  env/client.c
)
set(KISIM_ENV_CLI_SOURCES env/bench_env.c env/bench_zmq.c env/env_cli.c)
# `kisim bench zmq` finds configs/quickstart.json and the Python client in the source tree.
set_source_files_properties(env/bench_zmq.c PROPERTIES
  COMPILE_DEFINITIONS "KISIM_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")
set(KISIM_ENV_LIBS PkgConfig::ZMQ PkgConfig::ENV_ZLIB)
