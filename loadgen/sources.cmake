# loadgen/: load patterns users(t), `kisim load`; the Locust driver (libcurl, optional:
# KISIM_WITH_LOCUST) and the target service `kisim target` (libmicrohttpd, optional:
# KISIM_WITH_HTTP).
set(sources load.c locust_csv.c load_cli.c)
set(libs)
if(KISIM_WITH_LOCUST)
  list(APPEND sources locust.c)
  list(APPEND libs PkgConfig::CURL)
else()
  list(APPEND sources locust_none.c)
endif()
if(KISIM_WITH_HTTP)
  list(APPEND sources target.c)
  list(APPEND libs PkgConfig::MHD)
endif()
kisim_component(loadgen DIR loadgen SOURCES ${sources} DEPS kisim_common LIBS ${libs})
# The driver's default locustfile is the source tree's loadgen/locustfile.py ($KISIM_LOCUSTFILE
# overrides it).
set_source_files_properties(loadgen/locust.c PROPERTIES
  COMPILE_DEFINITIONS "KISIM_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")
