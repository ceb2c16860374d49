/* cli_args.c: strict number parsing for CLI options, and atomic file writes. */
#include "common/cli_args.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

int args_int(const char *verb, const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < lo || v > hi)
        return kisim_seterr(KISIM_EUSAGE, "%s: %s: expected an integer in [%ld, %ld], got \"%s\"",
                            verb, opt, lo, hi, text);
    *out = v;
    return 0;
}

int args_u64(const char *verb, const char *opt, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (!*text || *end || errno || text[0] == '-')
        return kisim_seterr(KISIM_EUSAGE, "%s: %s: expected a non-negative integer, got \"%s\"",
                            verb, opt, text);
    *out = v;
    return 0;
}

int args_double(const char *verb, const char *opt, const char *text, double lo, double hi,
                double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v) || v < lo || v > hi)
        return kisim_seterr(KISIM_EUSAGE, "%s: %s: expected a number in [%g, %g], got \"%s\"", verb,
                            opt, lo, hi, text);
    *out = v;
    return 0;
}

int write_file_atomic(const char *path, const char *text)
{
    return write_bytes_atomic(path, text, strlen(text));
}

int write_bytes_atomic(const char *path, const void *data, size_t len)
{
    const char *text = data;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(e));
        }
        off += (size_t)n;
    }
    int synced = fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && synced) e = errno, synced = 0;
    if (!synced) {
        unlink(tmp);
        return kisim_seterr(KISIM_EIO, "cannot write %s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return kisim_seterr(KISIM_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return 0;
}
