# scheduler/: the scoring service (policy chain, telemetry store, BatchScore, extender HTTP API).
# Library sources in KISIM_SCHEDULER_SOURCES (tests link them), verbs in
# KISIM_SCHEDULER_CLI_SOURCES.
set(KISIM_SCHEDULER_SOURCES)
set(KISIM_SCHEDULER_CLI_SOURCES)
set(KISIM_SCHEDULER_LIBS)
