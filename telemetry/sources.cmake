# telemetry/: telemetry frames, the per-node telemetry store, replay of recorded frames.
kisim_component(telemetry DIR telemetry SOURCES frame.c store.c store_recv.c auth.c replay.c
  DEPS kisim_common LIBS PkgConfig::ZMQ Threads::Threads)
