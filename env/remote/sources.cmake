# env/remote/: the ZeroMQ env server and C client, `kisim env`, `bench zmq` (zlib for the
# benchmark's trajectory CRC-32).
kisim_component(env_remote DIR env/remote SOURCES server.c client.c env_cli.c bench_zmq.c
  DEPS kisim_env kisim_transport LIBS PkgConfig::ZLIB)
# `kisim bench zmq` finds configs/quickstart.json and the Python client in the source tree.
set_source_files_properties(env/remote/bench_zmq.c PROPERTIES
  COMPILE_DEFINITIONS "KISIM_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")
