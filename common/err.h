/* err.h: KISim's error codes and the per-thread error message.
 *
 * Library functions return 0 on success or a negative kisim_err. The code says what kind of
 * failure it was (and so the exit code); the message, set with kisim_seterr(), says what the
 * user can do about it ("config: configs/x.json: /cluster/nodes: expected ..."). Only mains exit.
 */
#ifndef KISIM_ERR_H
#define KISIM_ERR_H

/* X(name, exit code, description). Defined once; names, messages and exit codes all come from
 * here. Exit code 2 marks the user's mistakes (usage, input, configuration). */
#define KISIM_ERRORS(X)                                                                            \
    X(USAGE, 2, "bad usage")                                                                       \
    X(CONFIG, 2, "invalid configuration")                                                          \
    X(INPUT, 2, "invalid input")                                                                   \
    X(IO, 1, "input/output error")                                                                 \
    X(NOMEM, 1, "out of memory")                                                                   \
    X(INVALID_ACTION, 2, "invalid action")                                                         \
    X(STATE, 1, "call out of order")                                                               \
    X(UNSUPPORTED, 1, "not supported")                                                             \
    X(INTERNAL, 1, "internal error")                                                               \
    X(PROTOCOL, 1, "protocol error")                                                               \
    X(TIMEOUT, 1, "timed out") /* a remote endpoint did not answer in time */

typedef enum {
    KISIM_OK = 0,
#define KISIM__ERR_ENUM(name, code, desc) KISIM__ERRNUM_##name,
    KISIM__ERR_FIRST = 0,
    KISIM_ERRORS(KISIM__ERR_ENUM)
#undef KISIM__ERR_ENUM
} kisim__errnum;

enum {
#define KISIM__ERR_NEG(name, code, desc) KISIM_E##name = -(int)KISIM__ERRNUM_##name,
    KISIM_ERRORS(KISIM__ERR_NEG)
#undef KISIM__ERR_NEG
};

/* Short name of an error code ("CONFIG"), or "OK" / "UNKNOWN". */
const char *kisim_errname(int err);
/* One-line description of an error code ("invalid configuration"). */
const char *kisim_strerror(int err);
/* Process exit code for an error: 0 for KISIM_OK, 2 for the user's mistakes, 1 otherwise. */
int kisim_exit_code(int err);

/* Sets this thread's error message (printf format) and returns err, so a failing function can
 * write `return kisim_seterr(KISIM_ECONFIG, "...", ...);`. */
int kisim_seterr(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* This thread's last error message; "" if none was set. */
const char *kisim_errmsg(void);
/* Clears this thread's error message. */
void kisim_clearerr(void);

#endif
