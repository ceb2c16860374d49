/* cli_args.h: strict parsing of numeric command-line values, so that every verb rejects
 * "--episodes ten" the same way: a message naming the option, and exit code 2. */
#ifndef KISIM_CLI_ARGS_H
#define KISIM_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* Each returns 0, or KISIM_EUSAGE with the message "VERB: OPTION: expected ..., got \"TEXT\"". */
int args_int(const char *verb, const char *opt, const char *text, long lo, long hi, long *out);
int args_u64(const char *verb, const char *opt, const char *text, uint64_t *out);
int args_double(const char *verb, const char *opt, const char *text, double lo, double hi,
                double *out);
/* Writes text to path atomically: a temp file beside it, fsync, rename. KISIM_EIO on failure. */
int write_file_atomic(const char *path, const char *text);
/* The same for n bytes. */
int write_bytes_atomic(const char *path, const void *data, size_t n);

#endif
