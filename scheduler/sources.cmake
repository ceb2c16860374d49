# scheduler/: the scoring service (policy chain, BatchScore, shadow mode, rebalancer) and its
# Kubernetes extender HTTP API. It links no env backend.
# The extender's HTTP server is optional (KISIM_WITH_HTTP): without it extender_none.c refuses
# --http naming the package.
if(KISIM_WITH_HTTP)
  set(http extender.c extender_bench.c)
  set(http_lib PkgConfig::MHD)
else()
  set(http extender_none.c)
  set(http_lib)
endif()
kisim_component(scheduler DIR scheduler
  SOURCES score.c score_names.c breaker.c score_model.c chain.c reason.c shadow.c score_fixture.c
          batch.c rebalance.c batch_server.c batch_client.c extender_json.c extender_verbs.c
          extender_metrics.c score_cli.c score_bench.c
          ${http}
  DEPS kisim_policy kisim_transport kisim_telemetry kisim_podspec LIBS Threads::Threads ${http_lib})
