# loadgen/: the Locust driver (libcurl) and the target service (libmicrohttpd). Library sources in
# KISIM_LOADGEN_SOURCES (the local backend uses the driver), verbs in KISIM_LOADGEN_CLI_SOURCES.
pkg_check_modules(LOADGEN_CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(LOADGEN_MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
set(KISIM_LOADGEN_SOURCES)
set(KISIM_LOADGEN_CLI_SOURCES loadgen/target.c loadgen/load_cli.c)
set(KISIM_LOADGEN_LIBS PkgConfig::LOADGEN_CURL PkgConfig::LOADGEN_MHD)
