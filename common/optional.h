/* optional.h: the optional components a build may lack, and the one message that says so. Each
 * KISIM_HAVE_X is 1 or 0, set by CMake (KISIM_WITH_X; docs/ARCHITECTURE.md, "Optional
 * components"); code built without X answers with kisim_missing(). */
#ifndef KISIM_OPTIONAL_H
#define KISIM_OPTIONAL_H

/* X(ID, what, Debian packages) */
#define KISIM_OPTIONAL_COMPONENTS(X)                                                               \
    X(BPF, "the eBPF telemetry collector", "libbpf-dev clang bpftool")                             \
    X(XGBOOST, "the XGBoost scorer", "libxgboost-dev")                                             \
    X(HTTP, "the HTTP extender and target service", "libmicrohttpd-dev")                           \
    X(LOCUST, "the Locust driver and the local backend", "libcurl4-openssl-dev")

typedef enum {
#define KISIM__OPT(id, what, pkgs) KISIM_OPT_##id,
    KISIM_OPTIONAL_COMPONENTS(KISIM__OPT)
#undef KISIM__OPT
        KISIM_N_OPTIONAL
} kisim_optional;

/* Sets the error message "<who>: this kisim was built without <what> (Debian packages: <pkgs>);
 * install them and rebuild" and returns KISIM_EUNSUPPORTED. */
int kisim_missing(kisim_optional c, const char *who);
/* The same message on stderr, for a verb; returns the exit code 1. */
int kisim_missing_verb(kisim_optional c, const char *verb);

#endif
