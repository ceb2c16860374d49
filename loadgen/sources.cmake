# loadgen/: the Locust driver (libcurl) and the target service (libmicrohttpd). Library sources in
# KISIM_LOADGEN_SOURCES (the local backend uses the driver), verbs in KISIM_LOADGEN_CLI_SOURCES.
set(KISIM_LOADGEN_SOURCES)
set(KISIM_LOADGEN_CLI_SOURCES)
set(KISIM_LOADGEN_LIBS)
