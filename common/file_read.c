/* file_read.c: bounded whole-file reads of regular files only (file_read.h). */
#include "common/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a pipe or FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    return "not a regular file";
}

/* Reads exactly n bytes (the size fstat gave) plus one more to see whether the file grew. */
static int read_all(int fd, char *buf, size_t n, size_t *got)
{
    size_t off = 0;
    while (off <= n) {
        ssize_t r = read(fd, buf + off, n + 1 - off);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) break;
        off += (size_t)r;
    }
    *got = off;
    return 0;
}

int file_read_regular(const char *path, size_t max_bytes, int code, const char *what, char **buf,
                      size_t *len)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO with no writer must not hang before fstat can refuse it. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return kisim_seterr(KISIM_EIO, "%s %s: cannot read: %s", what, path, strerror(errno));
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) != 0)
        err = kisim_seterr(KISIM_EIO, "%s %s: cannot read: %s", what, path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        err = kisim_seterr(code, "%s %s: %s, expected a regular file", what, path,
                           kind_of(st.st_mode));
    else if ((unsigned long long)st.st_size > max_bytes)
        err = kisim_seterr(code, "%s %s: %lld bytes, larger than the limit of %zu", what, path,
                           (long long)st.st_size, max_bytes);
    size_t n = err ? 0 : (size_t)st.st_size, got = 0;
    char *b = err ? NULL : malloc(n + 1);
    if (!err && !b) err = kisim_seterr(KISIM_ENOMEM, "%s %s: out of memory", what, path);
    int rerr = err ? 0 : read_all(fd, b, n, &got);
    if (!err && rerr)
        err = kisim_seterr(KISIM_EIO, "%s %s: cannot read: %s", what, path, strerror(-rerr));
    else if (!err && got != n)
        err = kisim_seterr(KISIM_EIO, "%s %s: changed size while being read (%zu bytes, then %zu)",
                           what, path, n, got);
    close(fd);
    if (err) {
        free(b);
        return err;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}
