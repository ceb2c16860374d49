# scheduler/: the scoring service (policy chain, BatchScore, shadow mode, rebalancer) and its
# Kubernetes extender HTTP API. It links no env backend.
kisim_component(scheduler DIR scheduler
  SOURCES score.c score_names.c breaker.c score_model.c chain.c reason.c shadow.c score_fixture.c
          batch.c rebalance.c batch_server.c batch_client.c extender_json.c extender_verbs.c
          extender_metrics.c extender.c score_cli.c score_bench.c extender_bench.c
  DEPS kisim_policy kisim_transport kisim_telemetry kisim_podspec
  LIBS Threads::Threads PkgConfig::MHD)
