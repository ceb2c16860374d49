# loadgen/: the Locust driver (libcurl) and the target service (libmicrohttpd). Library sources in
# KISIM_LOADGEN_SOURCES (the local backend uses the driver), verbs in KISIM_LOADGEN_CLI_SOURCES.
pkg_check_modules(LOADGEN_CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(LOADGEN_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
set(KISIM_LOADGEN_SOURCES loadgen/locust.c loadgen/locust_csv.c)
set(KISIM_LOADGEN_CLI_SOURCES loadgen/target.c loadgen/load_cli.c)
# The driver's default locustfile is the source tree's loadgen/locustfile.py ($KISIM_LOCUSTFILE
# overrides it).
set_source_files_properties(loadgen/locust.c PROPERTIES
  COMPILE_DEFINITIONS "KISIM_SOURCE_DIR=\"${CMAKE_SOURCE_DIR}\"")
set(KISIM_LOADGEN_LIBS PkgConfig::LOADGEN_CURL PkgConfig::LOADGEN_MHD)
