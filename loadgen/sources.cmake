# loadgen/: load patterns users(t), the Locust driver (libcurl), the target service
# (libmicrohttpd), `kisim load` and `kisim target`.
kisim_component(loadgen DIR loadgen SOURCES load.c locust.c locust_csv.c load_cli.c target.c
  DEPS kisim_common LIBS PkgConfig::CURL PkgConfig::MHD)
# The driver's default locustfile is the source tree's loadgen/locustfile.py ($KISIM_LOCUSTFILE
# overrides it).
set_source_files_properties(loadgen/locust.c PROPERTIES
  COMPILE_DEFINITIONS "KISIM_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")
