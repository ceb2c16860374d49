# scheduler/: the scoring service (policy chain, telemetry store, BatchScore, extender HTTP API).
# Library sources in KISIM_SCHEDULER_SOURCES (tests link them), verbs in
# KISIM_SCHEDULER_CLI_SOURCES.
pkg_check_modules(SCHED_ZMQ REQUIRED IMPORTED_TARGET libzmq)
find_package(Threads REQUIRED)
set(KISIM_SCHEDULER_SOURCES
  scheduler/score.c
  scheduler/score_names.c
  scheduler/telem_store.c
  scheduler/breaker.c
  scheduler/score_model.c
  scheduler/chain.c
  scheduler/reason.c
  scheduler/shadow.c
  scheduler/score_fixture.c
  scheduler/batch.c
  scheduler/rebalance.c
  scheduler/batch_server.c
  scheduler/batch_client.c
  scheduler/telem_replay.c
)
set(KISIM_SCHEDULER_CLI_SOURCES scheduler/score_cli.c scheduler/score_bench.c)
set(KISIM_SCHEDULER_LIBS PkgConfig::SCHED_ZMQ Threads::Threads)
# Kubernetes scheduler extender (h6b): quantities, pod context, wire format, HTTP server.
pkg_check_modules(SCHED_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
list(APPEND KISIM_SCHEDULER_SOURCES scheduler/extender_quantity.c scheduler/extender_pod.c
  scheduler/extender_json.c scheduler/extender_verbs.c scheduler/extender_metrics.c
  scheduler/extender.c)
list(APPEND KISIM_SCHEDULER_LIBS PkgConfig::SCHED_MHD)
list(APPEND KISIM_SCHEDULER_CLI_SOURCES scheduler/extender_bench.c)
