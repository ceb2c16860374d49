# transport/: the ZeroMQ framing, the ROUTER loop and CURVE keys (env server and scoring service).
kisim_component(transport DIR transport SOURCES proto.c zrouter.c keys.c
  DEPS kisim_common LIBS PkgConfig::ZMQ)
