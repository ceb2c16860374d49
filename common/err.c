/* err.c: error names, messages and exit codes from the KISIM_ERRORS table, and the per-thread
 * message buffer that carries the details of the last failure up to main. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char err_msg[1024];

const char *kisim_errname(int err)
{
    switch (err) {
    case KISIM_OK:
        return "OK";
#define ERR_NAME(name, code, desc)                                                                 \
    case KISIM_E##name:                                                                            \
        return #name;
        KISIM_ERRORS(ERR_NAME)
#undef ERR_NAME
    }
    return "UNKNOWN";
}

const char *kisim_strerror(int err)
{
    switch (err) {
    case KISIM_OK:
        return "success";
#define ERR_DESC(name, code, desc)                                                                 \
    case KISIM_E##name:                                                                            \
        return desc;
        KISIM_ERRORS(ERR_DESC)
#undef ERR_DESC
    }
    return "unknown error";
}

int kisim_exit_code(int err)
{
    switch (err) {
    case KISIM_OK:
        return 0;
#define ERR_CODE(name, code, desc)                                                                 \
    case KISIM_E##name:                                                                            \
        return code;
        KISIM_ERRORS(ERR_CODE)
#undef ERR_CODE
    }
    return 1;
}

int kisim_seterr(int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    return err;
}

const char *kisim_errmsg(void)
{
    return err_msg;
}

void kisim_clearerr(void)
{
    err_msg[0] = '\0';
}
